{#- Engine-specific helpers for the product-usage and voice-of-the-customer models. -#}

{#- One top-level property of a JSON text column, as text (null when absent). -#}
{% macro json_text_property(json_column, key) -%}
    {{ return(adapter.dispatch('json_text_property', 'cs_warehouse')(json_column, key)) }}
{%- endmacro %}

{% macro default__json_text_property(json_column, key) -%}
    (cast({{ json_column }} as json) ->> '{{ key }}')
{%- endmacro %}

{% macro duckdb__json_text_property(json_column, key) -%}
    json_extract_string({{ json_column }}, '$.{{ key }}')
{%- endmacro %}

{% macro spark__json_text_property(json_column, key) -%}
    get_json_object({{ json_column }}, '$.{{ key }}')
{%- endmacro %}

{#- Median of a numeric expression in an aggregate (nulls ignored), as double. -#}
{% macro median(expr) -%}
    {{ return(adapter.dispatch('median', 'cs_warehouse')(expr)) }}
{%- endmacro %}

{% macro default__median(expr) -%}
    cast(percentile_cont(0.5) within group (order by {{ expr }}) as {{ type_double() }})
{%- endmacro %}

{% macro duckdb__median(expr) -%}
    cast(quantile_cont({{ expr }}, 0.5) as {{ type_double() }})
{%- endmacro %}

{% macro spark__median(expr) -%}
    cast(percentile({{ expr }}, 0.5) as {{ type_double() }})
{%- endmacro %}

{#- Seconds between two timestamps, fractional. dbt.datediff truncates to whole units, which would
    break the 30-minute and 24-hour session rules at their edges. -#}
{% macro seconds_between(start_ts, end_ts) -%}
    {{ return(adapter.dispatch('seconds_between', 'cs_warehouse')(start_ts, end_ts)) }}
{%- endmacro %}

{% macro default__seconds_between(start_ts, end_ts) -%}
    (extract(epoch from {{ end_ts }}) - extract(epoch from {{ start_ts }}))
{%- endmacro %}

{% macro spark__seconds_between(start_ts, end_ts) -%}
    (unix_micros({{ end_ts }}) - unix_micros({{ start_ts }})) / 1000000.0
{%- endmacro %}

{#- A share as a double, null when the denominator is 0 (no silent zero rates). -#}
{% macro safe_ratio(numerator, denominator) -%}
    case
        when ({{ denominator }}) = 0 then null
        else cast({{ numerator }} as {{ type_double() }}) / ({{ denominator }})
    end
{%- endmacro %}

{#- 64-bit floating point for rates (type_double() is 32-bit on DuckDB). -#}
{% macro type_double() -%}
    {{ return(adapter.dispatch('type_double', 'cs_warehouse')()) }}
{%- endmacro %}

{% macro default__type_double() -%}
    double precision
{%- endmacro %}

{% macro duckdb__type_double() -%}
    double
{%- endmacro %}

{% macro spark__type_double() -%}
    double
{%- endmacro %}
