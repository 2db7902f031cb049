-- Public table (KPI_SPEC.md "Public tables"): one row per calendar month with the company-level
-- revenue KPIs and the counts behind them. Usage and voice-of-the-customer columns are joined in later
-- from their own models.

with

company as (
    select * from {{ ref('int_revenue_segment_monthly') }}
    where slice_segment = 'all'
)

select
    -- calendar
    month_start_date as month,
    fiscal_year,
    fiscal_quarter,
    is_complete,

    -- MRR snapshot
    cast(mrr as decimal(18, 2)) as mrr,
    cast(12 * mrr as decimal(18, 2)) as arr,
    cast(paying_accounts as integer) as paying_accounts,
    cast(arpa as decimal(18, 2)) as arpa,

    -- the bridge: mrr = mrr_at_start + new + reactivation + expansion - contraction - churned
    cast(accounts_at_start as integer) as accounts_at_start,
    cast(mrr_at_start as decimal(18, 2)) as mrr_at_start,
    cast(new_accounts as integer) as new_accounts,
    cast(new_mrr as decimal(18, 2)) as new_mrr,
    cast(reactivated_accounts as integer) as reactivated_accounts,
    cast(reactivation_mrr as decimal(18, 2)) as reactivation_mrr,
    cast(expanded_accounts as integer) as expanded_accounts,
    cast(expansion_mrr as decimal(18, 2)) as expansion_mrr,
    cast(contracted_accounts as integer) as contracted_accounts,
    cast(contraction_mrr as decimal(18, 2)) as contraction_mrr,
    cast(churned_accounts as integer) as churned_accounts,
    cast(churned_mrr as decimal(18, 2)) as churned_mrr,
    cast(same_month_churn_count as integer) as same_month_churn_count,

    -- churn and retention
    cast(logo_churn_rate as double) as logo_churn_rate,
    cast(gross_revenue_churn_rate as double) as gross_revenue_churn_rate,
    cast(net_revenue_churn_rate as double) as net_revenue_churn_rate,
    cast(nrr_monthly as double) as nrr_monthly,
    cast(grr_monthly as double) as grr_monthly,
    cast(accounts_base_12m as integer) as accounts_base_12m,
    cast(mrr_base_12m as decimal(18, 2)) as mrr_base_12m,
    cast(nrr_12m as double) as nrr_12m,
    cast(grr_12m as double) as grr_12m,
    cast(retained_accounts as integer) as retained_accounts,
    cast(customer_retention_rate as double) as customer_retention_rate,

    -- growth inside the base
    cast(upsell_accounts as integer) as upsell_accounts,
    cast(upsell_rate as double) as upsell_rate,
    cast(cross_sell_accounts as integer) as cross_sell_accounts,
    cast(cross_sell_rate as double) as cross_sell_rate,

    -- lifetime value
    cast(trailing_6m_logo_churn_rate as double) as trailing_6m_logo_churn_rate,
    cast(ltv_simple as decimal(18, 2)) as ltv_simple

from company
