-- Public table (docs/kpis.md "churn_by_plan_tenure"): logo churn by the plan and tenure band each account
-- had at the start of the month. Accounts of S(m) only.

with

account_months as (
    select * from {{ ref('int_revenue_account_months') }}
    where is_customer_start
),

plans as (
    select * from {{ ref('stg_crm__plans') }}
),

grouped as (
    select
        account_months.month_start_date,
        account_months.fiscal_year,
        account_months.fiscal_quarter,
        account_months.is_complete,
        account_months.plan_id_start,
        account_months.tenure_band_at_start,
        account_months.tenure_band_order_at_start,
        count(*) as accounts_at_start,
        sum(case when account_months.movement = 'churn' then 1 else 0 end) as churned_accounts,
        sum(account_months.mrr_start) as mrr_at_start
    from account_months
    group by
        account_months.month_start_date,
        account_months.fiscal_year,
        account_months.fiscal_quarter,
        account_months.is_complete,
        account_months.plan_id_start,
        account_months.tenure_band_at_start,
        account_months.tenure_band_order_at_start
)

select
    grouped.month_start_date as month,
    grouped.fiscal_year,
    grouped.fiscal_quarter,
    grouped.is_complete,
    plans.plan_name as plan,
    grouped.plan_id_start as plan_id,
    plans.plan_tier,
    grouped.tenure_band_at_start as tenure_band,
    cast(grouped.tenure_band_order_at_start as integer) as tenure_band_order,
    cast(grouped.accounts_at_start as integer) as accounts_at_start,
    cast(grouped.churned_accounts as integer) as churned_accounts,
    cast(grouped.mrr_at_start as decimal(18, 2)) as mrr_at_start,
    case
        when grouped.is_complete
            then cast(
                cast(grouped.churned_accounts as {{ type_double() }}) / grouped.accounts_at_start as {{ type_double() }}
            )
    end as logo_churn_rate
from grouped
left join plans on grouped.plan_id_start = plans.plan_id
