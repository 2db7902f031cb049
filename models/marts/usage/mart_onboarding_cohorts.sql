-- Onboarding completion per contract-start cohort.

select
    cohorts.cohort_month,
    months.fiscal_year,
    months.fiscal_quarter,
    cohorts.is_complete,
    cast(cohorts.cohort_accounts as integer) as cohort_accounts,
    cast(cohorts.onboarding_cohort_accounts as integer) as onboarding_cohort_accounts,
    cast(cohorts.onboarding_completed_accounts as integer) as onboarding_completed_accounts,
    cast(cohorts.onboarding_completion_rate as {{ type_double() }}) as onboarding_completion_rate
from {{ ref('int_usage_onboarding_cohorts') }} as cohorts
inner join {{ ref('int_months') }} as months on cohorts.cohort_month = months.month_start_date
