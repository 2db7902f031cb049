{#- The incremental strategy of the usage and health models per engine: delete+insert where the adapter has
    it (DuckDB, PostgreSQL); on Spark insert_overwrite of the partitions the new rows fall in (Parquet tables
    have no merge; `get_insert_overwrite_sql` in macros/engines.sql keeps the rows of those partitions that
    the run does not rewrite, so the result is the same as delete+insert); merge on Databricks (Delta). -#}
{% macro usage_incremental_strategy() -%}
    {%- if target.type == 'spark' -%}
        {{ return('insert_overwrite') }}
    {%- elif target.type == 'databricks' -%}
        {{ return('merge') }}
    {%- else -%}
        {{ return('delete+insert') }}
    {%- endif -%}
{%- endmacro %}

{#- The partition column on Spark: a date column that never changes for a given unique key, so a key's old
    row is always in a partition the run overwrites. No partitioning elsewhere. -#}
{% macro usage_incremental_partition_by(column) -%}
    {%- if target.type == 'spark' -%}
        {{ return(column) }}
    {%- else -%}
        {{ return(none) }}
    {%- endif -%}
{%- endmacro %}
