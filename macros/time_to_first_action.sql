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

{#- The cohort view over a milestones model (one row per account or user and milestone, with cohort_month,
    days_to_reach and observed_days): per cohort and milestone, the `unit` counted (`accounts` / `users`),
    for 7 / 30 / 90 days the rows observed that long and the share of them that reached the milestone within
    it, and the censored median days. -#}
{% macro time_to_first_action_cohorts(milestones, unit) -%}
with

milestones as (
    select * from {{ milestones }}
),

windows as (
    select
        cohort_month,
        milestone_code,
        count(*) as cohort_{{ unit }},
        {% for w in [7, 30, 90] %}
            sum(case when observed_days >= {{ w }} then 1 else 0 end) as observed_{{ w }}d_{{ unit }},
            sum(case when observed_days >= {{ w }} and days_to_reach < {{ w }} then 1 else 0 end)
                as reached_{{ w }}d_{{ unit }},
        {% endfor %}
        {{ censored_median_days('days_to_reach', 'observed_days') }} as median_days
    from milestones
    group by cohort_month, milestone_code
)

select
    cohort_month,
    milestone_code,
    cast(cohort_{{ unit }} as integer) as cohort_{{ unit }},
    {% for w in [7, 30, 90] %}
        cast(observed_{{ w }}d_{{ unit }} as integer) as observed_{{ w }}d_{{ unit }},
        cast({{ safe_ratio('reached_' ~ w ~ 'd_' ~ unit, 'observed_' ~ w ~ 'd_' ~ unit) }} as {{ type_double() }})
            as reached_within_{{ w }}d_rate,
    {% endfor %}
    cast(median_days as {{ type_double() }}) as median_days
from windows
{%- endmacro %}
