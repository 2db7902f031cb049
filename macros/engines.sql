{#- Engine-specific SQL that the models share, one dispatched macro per construct (docs/engines.md). -#}

{#- A double rounded to `digits` decimals, still a double. PostgreSQL rounds only numeric; the value goes
    through numeric there and comes back, so every engine returns the same type. -#}
{% macro round_double(expr, digits) -%}
    {{ return(adapter.dispatch('round_double', 'cs_warehouse')(expr, digits)) }}
{%- endmacro %}

{% macro default__round_double(expr, digits) -%}
    round({{ expr }}, {{ digits }})
{%- endmacro %}

{% macro postgres__round_double(expr, digits) -%}
    cast(round(cast({{ expr }} as numeric), {{ digits }}) as double precision)
{%- endmacro %}

{#- The model yml and seed configs name types as DuckDB and PostgreSQL both accept them (text, varchar,
    double precision); Spark spells those string and double. -#}
{% macro spark_type_name(type_name) -%}
    {%- set name = type_name | trim | lower -%}
    {%- if name in ('text', 'varchar') -%}
        {{ return('string') }}
    {%- elif name == 'double precision' -%}
        {{ return('double') }}
    {%- endif -%}
    {{ return(type_name) }}
{%- endmacro %}

{#- Seeds on Spark: the seed's column_types translated to Spark's names; types dbt infers are already Spark's. -#}
{% macro spark__create_csv_table(model, agate_table) -%}
    {%- set overrides = model['config'].get('column_types', {}) -%}
    {%- set quote_columns = model['config'].get('quote_columns', none) -%}
    {%- set columns = [] -%}
    {%- for name in agate_table.column_names -%}
        {%- set type_name = overrides[name] if name in overrides else adapter.convert_type(agate_table, loop.index0) -%}
        {%- do columns.append(adapter.quote_seed_column(name | string, quote_columns) ~ ' ' ~ spark_type_name(type_name)) -%}
    {%- endfor -%}
    {%- set sql -%}
        create table {{ this.render() }} ({{ columns | join(', ') }})
        {{ file_format_clause() }}
        {{ partition_cols(label="partitioned by") }}
        {{ clustered_cols(label="clustered by") }}
        {{ location_clause() }}
        {{ comment_clause() }}
    {%- endset -%}
    {%- call statement('_') -%}
        {{ sql }}
    {%- endcall -%}
    {{ return(sql) }}
{%- endmacro %}

{#- ...and the rows inserted into them, cast to the same translated types. -#}
{% macro spark__load_csv_rows(model, agate_table) -%}
    {%- set overrides = model['config'].get('column_types', {}) -%}
    {%- set batch_size = get_batch_size() -%}
    {%- set types = [] -%}
    {%- for name in agate_table.column_names -%}
        {%- do types.append(spark_type_name(overrides[name]) if name in overrides else none) -%}
    {%- endfor -%}
    {%- set statements = [] -%}
    {%- for chunk in agate_table.rows | batch(batch_size) -%}
        {%- set rows = [] -%}
        {%- for row in chunk -%}
            {%- set values = [] -%}
            {%- for value in row -%}
                {%- set literal = 'null' if value is none else "'" ~ (value | string | replace("\\", "\\\\") | replace("'", "\\'")) ~ "'" -%}
                {%- do values.append('cast(' ~ literal ~ ' as ' ~ types[loop.index0] ~ ')' if types[loop.index0] else literal) -%}
            {%- endfor -%}
            {%- do rows.append('(' ~ values | join(', ') ~ ')') -%}
        {%- endfor -%}
        {%- set sql = 'insert into ' ~ this.render() ~ ' values ' ~ rows | join(', ') -%}
        {%- do adapter.add_query(sql, abridge_sql_log=True) -%}
        {%- do statements.append(sql) -%}
    {%- endfor -%}
    {{ return(statements[0] if statements else '') }}
{%- endmacro %}

{#- Spark's insert_overwrite for the incremental models that declare a unique_key and a partition_by (a date
    column that never changes for a key, macros/usage_incremental.sql): the run rewrites only the partitions
    its new rows fall in, and carries over the rows of those partitions whose key it does not rewrite. The
    table so ends up as delete+insert leaves it on DuckDB and PostgreSQL. Spark's dynamic partition
    overwrite stages the new files before it replaces a partition, so reading the target here is safe.
    A unique_key without partition_by is an error (dbt-spark would replace the whole table with the run's
    rows); models without a unique_key get dbt-spark's own statement. -#}
{% macro get_insert_overwrite_sql(source_relation, target_relation, existing_relation) -%}
    {%- set unique_key = config.get('unique_key') -%}
    {%- set partition_by = config.get('partition_by') -%}
    {%- if unique_key and not partition_by -%}
        {#- dbt-spark would replace the whole table with the run's rows -#}
        {{ exceptions.raise_compiler_error(
            "insert_overwrite of " ~ target_relation ~ " has a unique_key but no partition_by: "
            ~ "set partition_by=usage_incremental_partition_by(<date column>)") }}
    {%- endif -%}
    {%- if not unique_key or existing_relation.is_iceberg -%}
        {{ return(dbt.get_insert_overwrite_sql(source_relation, target_relation, existing_relation)) }}
    {%- endif -%}
    {%- set keys = [unique_key] if unique_key is string else unique_key -%}
    {%- set partitions = [partition_by] if partition_by is string else partition_by -%}
    {%- set dest_cols_csv = adapter.get_columns_in_relation(target_relation) | map(attribute='quoted') | join(', ') -%}
    insert overwrite table {{ target_relation }}
    {{ partition_cols(label="partition") }}
    select {{ dest_cols_csv }} from {{ source_relation }}
    union all
    select {{ dest_cols_csv }} from {{ target_relation }} as kept
    where
        ({{ partitions | join(', ') }}) in (select distinct {{ partitions | join(', ') }} from {{ source_relation }})
        and not exists (
            select 1 from {{ source_relation }} as rewritten
            where
            {%- for key in keys %}
                rewritten.{{ key }} = kept.{{ key }}{% if not loop.last %} and{% endif %}
            {%- endfor %}
        )
{%- endmacro %}

{#- dbt's generate_series (behind date_spine) unions powers of two; Spark plans that slowly and makes the
    numbers doubles. Spark has the series built in. -#}
{% macro spark__generate_series(upper_bound) -%}
    select explode(sequence(1, {{ upper_bound }})) as generated_number
{%- endmacro %}

{#- dbt-spark's listagg ignores order_by_clause, so the list comes in whatever order the rows arrive. Here the
    collected values are sorted when the clause orders by the aggregated value itself (the only ordering
    the project uses); any other ordering is an error rather than a silently different list. -#}
{% macro spark__listagg(measure, delimiter_text, order_by_clause, limit_num) -%}
    {%- set order_by = (order_by_clause or '') | trim | lower -%}
    {%- if order_by and order_by not in ['order by ' ~ (measure | trim | lower), 'order by ' ~ (measure | trim | lower) ~ ' asc'] -%}
        {{ exceptions.raise_compiler_error(
            "listagg on Spark orders only by the aggregated value, ascending; got: " ~ order_by_clause) }}
    {%- endif -%}
    {%- set collected = 'collect_list(' ~ measure ~ ')' -%}
    {%- if order_by -%}
        {%- set collected = 'array_sort(' ~ collected ~ ')' -%}
    {%- endif -%}
    {%- if limit_num -%}
        {%- set collected = 'slice(' ~ collected ~ ', 1, ' ~ limit_num ~ ')' -%}
    {%- endif -%}
    array_join({{ collected }}, {{ delimiter_text }})
{%- endmacro %}

{#-
    A model's pre-hook for PostgreSQL's planner: no nested-loop joins inside this model's transaction. Row
    estimates for chains of CTEs over generated day spines come out at a handful of rows, so PostgreSQL joins
    thousands of account-days by nested loops that re-run an aggregate per row (minutes instead of seconds on
    the test dataset). Other engines plan these joins by hash already: nothing to do there.
-#}
{% macro planner_hash_joins() -%}
    {{ return(adapter.dispatch('planner_hash_joins', 'cs_warehouse')()) }}
{%- endmacro %}

{% macro default__planner_hash_joins() -%}
{%- endmacro %}

{% macro postgres__planner_hash_joins() -%}
    set local enable_nestloop = off
{%- endmacro %}

{#-
    Written between a CTE's name and its body (`name as {{ inline_cte() }} (...)`): the engine reads the CTE's
    query at each place it is used instead of storing its result first. DuckDB and PostgreSQL store a CTE that
    is read more than once; for a scan of the event history that is a copy of every event (3 GB at 10 million
    events, spilled to disk at 100 million), where reading the table again costs one more scan. Spark inlines
    CTEs already and has no such keyword.
-#}
{% macro inline_cte() -%}
    {{ return(adapter.dispatch('inline_cte', 'cs_warehouse')()) }}
{%- endmacro %}

{% macro default__inline_cte() -%}
    not materialized
{%- endmacro %}

{% macro spark__inline_cte() -%}
{%- endmacro %}
