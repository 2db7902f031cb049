{#- Account-health classification, one place for every model (docs/kpis.md "Account health and action"). -#}

{#- A component's raw value as 0 / 5 / 10 points, from the seed health_thresholds (its direction and two
    thresholds). A null value stays null so that the component drops out of the weighted average. -#}
{% macro health_component_points(value, direction, threshold_5, threshold_10) -%}
    case
        when {{ value }} is null then null
        when {{ direction }} = 'lower_is_better' then
            case
                when {{ value }} <= {{ threshold_10 }} then 10
                when {{ value }} <= {{ threshold_5 }} then 5
                else 0
            end
        else
            case
                when {{ value }} >= {{ threshold_10 }} then 10
                when {{ value }} >= {{ threshold_5 }} then 5
                else 0
            end
    end
{%- endmacro %}

{#- Health band of a 0-100 score: red < health_band_yellow_min <= yellow < health_band_green_min <= green. -#}
{% macro health_band(score) -%}
    case
        when {{ score }} is null then null
        when {{ score }} < {{ var('health_band_yellow_min') }} then 'red'
        when {{ score }} < {{ var('health_band_green_min') }} then 'yellow'
        else 'green'
    end
{%- endmacro %}

{#- The health components, in the order their columns appear. -#}
{% macro health_components() -%}
    {{ return(['usage_trend', 'active_user_share', 'feature_breadth', 'onboarding', 'nps', 'support_burden',
        'renewal_proximity']) }}
{%- endmacro %}
