-- time_to_first_action, cohort view: per contract-start cohort and milestone, the share of accounts that
-- reached it within 7 / 30 / 90 days (each share over the accounts observed for at least that long) and
-- the median days. Never-reached accounts are censored, not zero: the median is taken over the accounts
-- observed for 90 days with "not within 90 days" ranked last, and is null unless more than half got there
-- (macro censored_median_days, shared with mart_time_to_first_action_user).

with

milestones as (
    select * from {{ ref('int_usage_account_milestones') }}
),

windows as (
    select
        cohort_month,
        milestone_code,
        count(*) as cohort_accounts,
        {% for w in [7, 30, 90] %}
            sum(case when observed_days >= {{ w }} then 1 else 0 end) as observed_{{ w }}d_accounts,
            sum(case when observed_days >= {{ w }} and days_to_reach < {{ w }} then 1 else 0 end)
                as reached_{{ w }}d_accounts,
        {% endfor %}
        {{ censored_median_days('days_to_reach', 'observed_days') }} as median_days
    from milestones
    group by cohort_month, milestone_code
)

select
    cohort_month,
    milestone_code,
    cast(cohort_accounts as integer) as cohort_accounts,
    {% for w in [7, 30, 90] %}
        cast(observed_{{ w }}d_accounts as integer) as observed_{{ w }}d_accounts,
        cast({{ safe_ratio('reached_' ~ w ~ 'd_accounts', 'observed_' ~ w ~ 'd_accounts') }} as {{ type_double() }})
            as reached_within_{{ w }}d_rate,
    {% endfor %}
    cast(median_days as {{ type_double() }}) as median_days
from windows
