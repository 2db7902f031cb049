-- Onboarding status per account (docs/kpis.md "onboarding_completion_rate"): completed = every required
-- milestone reached within the first var onboarding_window_days days (day 0 = contract start day, so
-- days 0..N-1). is_window_complete = the account started at least N days ago; younger accounts are
-- right-censored and stay out of completion rates.

{%- set window = var('onboarding_window_days') %}

select
    account_id,
    contract_start_date,
    cohort_month,
    milestone_version,
    observed_days,
    observed_days >= {{ window }} as is_window_complete,
    sum(case when is_required then 1 else 0 end) as required_milestones,
    sum(case when is_required and days_to_reach < {{ window }} then 1 else 0 end) as required_reached_in_window,
    sum(case when is_required and days_to_reach < {{ window }} then 1 else 0 end)
    = sum(case when is_required then 1 else 0 end) as is_onboarding_completed
from {{ ref('int_usage_account_milestones') }}
group by account_id, contract_start_date, cohort_month, milestone_version, observed_days
