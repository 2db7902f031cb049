{#- NPS classification, one place for every model: promoters 9-10, passives 7-8, detractors 0-6. -#}
{% macro nps_category(score) -%}
    case
        when {{ score }} >= 9 then 'promoter'
        when {{ score }} >= 7 then 'passive'
        else 'detractor'
    end
{%- endmacro %}

{#- NPS (-100..100) from counts, null when fewer than var nps_min_responses responses (suppressed).
    Computed in double: PostgreSQL would otherwise divide in numeric and round differently. -#}
{% macro nps_score(promoters, detractors, responses) -%}
    case
        when {{ responses }} < {{ var('nps_min_responses') }} then null
        else 100.0 * cast({{ promoters }} - {{ detractors }} as {{ type_double() }}) / {{ responses }}
    end
{%- endmacro %}
