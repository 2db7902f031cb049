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
