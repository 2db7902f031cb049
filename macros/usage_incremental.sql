{#- The incremental strategy of the usage models per engine: delete+insert where the adapter has it
    (DuckDB, PostgreSQL), merge on Spark (Delta/Iceberg tables). -#}
{% macro usage_incremental_strategy() -%}
    {%- if target.type in ('spark', 'databricks') -%}
        {{ return('merge') }}
    {%- else -%}
        {{ return('delete+insert') }}
    {%- endif -%}
{%- endmacro %}
