-- onboarding_completion_rate per contract-start cohort (month of the first contract start): accounts that
-- completed onboarding within the window / accounts whose window has fully passed. is_complete = every
-- account of the cohort is past its window.

select
    cohort_month,
    count(*) as cohort_accounts,
    sum(case when is_window_complete then 1 else 0 end) as onboarding_cohort_accounts,
    sum(case when is_window_complete and is_onboarding_completed then 1 else 0 end) as onboarding_completed_accounts,
    {{ safe_ratio(
        'sum(case when is_window_complete and is_onboarding_completed then 1 else 0 end)',
        'sum(case when is_window_complete then 1 else 0 end)'
    ) }} as onboarding_completion_rate,
    min(case when is_window_complete then 1 else 0 end) = 1 as is_complete
from {{ ref('int_usage_account_onboarding') }}
group by cohort_month
