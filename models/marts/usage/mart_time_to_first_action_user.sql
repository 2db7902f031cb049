-- time_to_first_action at the user grain, cohort view: per registration-month cohort and milestone, the
-- share of product users that reached it within 7 / 30 / 90 days of registering (each share over the users
-- observed for at least that long, so a user who registered 10 days ago is in neither the 30- nor the
-- 90-day denominator) and the median days. Never-reached users are censored, not zero: the median is taken
-- over the users observed for 90 days with "not within 90 days" ranked last, and is null unless more than
-- half got there. Same rules as the account grain (mart_time_to_first_action).

with

milestones as (
    select * from {{ ref('int_usage_user_milestones') }}
),

windows as (
    select
        cohort_month,
        milestone_code,
        count(*) as cohort_users,
        {% for w in [7, 30, 90] %}
            sum(case when observed_days >= {{ w }} then 1 else 0 end) as observed_{{ w }}d_users,
            sum(case when observed_days >= {{ w }} and days_to_reach < {{ w }} then 1 else 0 end)
                as reached_{{ w }}d_users,
        {% endfor %}
        {{ censored_median_days('days_to_reach', 'observed_days') }} as median_days
    from milestones
    group by cohort_month, milestone_code
)

select
    cohort_month,
    milestone_code,
    cast(cohort_users as integer) as cohort_users,
    {% for w in [7, 30, 90] %}
        cast(observed_{{ w }}d_users as integer) as observed_{{ w }}d_users,
        cast({{ safe_ratio('reached_' ~ w ~ 'd_users', 'observed_' ~ w ~ 'd_users') }} as {{ type_double() }})
            as reached_within_{{ w }}d_rate,
    {% endfor %}
    cast(median_days as {{ type_double() }}) as median_days
from windows
