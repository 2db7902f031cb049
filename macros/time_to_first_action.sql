{#- time_to_first_action (docs/kpis.md), shared by the account and the user cohort views. -#}

{#- Median days to reach a milestone over the rows observed for at least `horizon` days, as an aggregate.
    Censoring, not zero: a row that did not reach the milestone within the horizon is ranked last (a large
    sentinel). The median is a real day count only when more than half of those rows reached it; at exactly
    half the interpolation would average a day count with the sentinel, so the result is null unless it is
    below the horizon. -#}
{% macro censored_median_days(days_expr, observed_expr, horizon=90) -%}
    {%- set ranked -%}
        case
            when {{ observed_expr }} >= {{ horizon }}
                then case when {{ days_expr }} < {{ horizon }} then {{ days_expr }} else 1000000 end
        end
    {%- endset -%}
    case when {{ median(ranked) }} < {{ horizon }} then {{ median(ranked) }} end
{%- endmacro %}
