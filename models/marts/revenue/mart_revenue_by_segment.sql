-- Revenue KPIs by month and CRM segment (the segment grain of docs/kpis.md "ltv_simple", and the bridge,
-- churn and NRR cut the same way). Same formulas as mart_kpi_monthly; ratios null while incomplete.

with

segments as (
    select * from {{ ref('int_revenue_segment_monthly') }}
    where slice_segment <> 'all'
)

select
    month_start_date as month,
    fiscal_year,
    fiscal_quarter,
    is_complete,
    slice_segment as segment,
    cast(mrr as decimal(18, 2)) as mrr,
    cast(paying_accounts as integer) as paying_accounts,
    cast(accounts_at_start as integer) as accounts_at_start,
    cast(mrr_at_start as decimal(18, 2)) as mrr_at_start,
    cast(new_mrr as decimal(18, 2)) as new_mrr,
    cast(reactivation_mrr as decimal(18, 2)) as reactivation_mrr,
    cast(expansion_mrr as decimal(18, 2)) as expansion_mrr,
    cast(contraction_mrr as decimal(18, 2)) as contraction_mrr,
    cast(churned_mrr as decimal(18, 2)) as churned_mrr,
    cast(churned_accounts as integer) as churned_accounts,
    cast(logo_churn_rate as {{ type_double() }}) as logo_churn_rate,
    cast(gross_revenue_churn_rate as {{ type_double() }}) as gross_revenue_churn_rate,
    cast(net_revenue_churn_rate as {{ type_double() }}) as net_revenue_churn_rate,
    cast(nrr_monthly as {{ type_double() }}) as nrr_monthly,
    cast(grr_monthly as {{ type_double() }}) as grr_monthly,
    cast(nrr_12m as {{ type_double() }}) as nrr_12m,
    cast(grr_12m as {{ type_double() }}) as grr_12m,
    cast(arpa as decimal(18, 2)) as arpa,
    cast(trailing_6m_logo_churn_rate as {{ type_double() }}) as trailing_6m_logo_churn_rate,
    cast(ltv_simple as decimal(18, 2)) as ltv_simple
from segments
