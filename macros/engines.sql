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
