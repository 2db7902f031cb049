-- Cohort curves (docs/kpis.md "cohort_retention", "ltv_cohort"): accounts grouped by their first paid month
-- (the first month ending with MRR > 0), followed month by month. A reactivated account stays in its
-- original cohort; churned accounts stay in the denominator. Cells whose month has not ended are censored:
-- is_complete = false and their ratios null.

with

account_months as (
    select * from {{ ref('int_revenue_account_months') }}
    where first_paid_month is not null and month_start_date >= first_paid_month
),

cells as (
    select
        first_paid_month as cohort_month,
        {{ dbt.datediff('first_paid_month', 'month_start_date', 'month') }} as months_since_start,  -- noqa: LT05
        month_start_date,
        min(case when is_complete then 1 else 0 end) = 1 as is_complete,
        sum(case when mrr_end > 0 then 1 else 0 end) as active_accounts,
        sum(mrr_end) as cohort_mrr
    from account_months
    group by first_paid_month, month_start_date
),

cohorts as (
    select
        cohort_month,
        active_accounts as cohort_accounts,
        cohort_mrr as cohort_starting_mrr
    from cells
    where months_since_start = 0
),

curves as (
    select
        cells.*,
        cohorts.cohort_accounts,
        cohorts.cohort_starting_mrr,
        sum(cells.cohort_mrr) over (
            partition by cells.cohort_month order by cells.months_since_start
            rows between unbounded preceding and current row
        ) as cumulative_mrr
    from cells
    inner join cohorts on cells.cohort_month = cohorts.cohort_month
)

select
    cohort_month,
    cast(months_since_start as integer) as months_since_start,
    month_start_date as month,
    {{ fiscal_year('cohort_month') }} as cohort_fiscal_year,
    is_complete,
    cast(cohort_accounts as integer) as cohort_accounts,
    cast(active_accounts as integer) as active_accounts,
    cast(cohort_starting_mrr as decimal(18, 2)) as cohort_starting_mrr,
    cast(cohort_mrr as decimal(18, 2)) as cohort_mrr,
    case when is_complete then cast(active_accounts as {{ type_double() }}) / cohort_accounts end as logo_retention,
    case
        when is_complete then {{ safe_ratio('cohort_mrr', 'cohort_starting_mrr') }}
    end as revenue_retention,
    case
        when is_complete then
            cast(cumulative_mrr * {{ var('gross_margin') }} / cohort_accounts as decimal(18, 2))
    end as ltv_cohort
from curves
