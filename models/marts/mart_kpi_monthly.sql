-- Public table (docs/kpis.md "Public tables"): one row per calendar month with the company-level
-- revenue, usage and voice-of-the-customer KPIs and the counts behind them. Each side is computed in its
-- own intermediate model; this mart only joins them on the month.

with

company as (
    select * from {{ ref('int_revenue_segment_monthly') }}
    where slice_segment = 'all'
),

usage as (
    select * from {{ ref('int_usage_kpi_monthly') }}
)

select
    -- calendar
    company.month_start_date as month,
    company.fiscal_year,
    company.fiscal_quarter,
    company.is_complete,

    -- MRR snapshot
    cast(company.mrr as decimal(18, 2)) as mrr,
    cast(12 * company.mrr as decimal(18, 2)) as arr,
    cast(company.paying_accounts as integer) as paying_accounts,
    cast(company.arpa as decimal(18, 2)) as arpa,

    -- the bridge: mrr = mrr_at_start + new + reactivation + expansion - contraction - churned
    cast(company.accounts_at_start as integer) as accounts_at_start,
    cast(company.mrr_at_start as decimal(18, 2)) as mrr_at_start,
    cast(company.new_accounts as integer) as new_accounts,
    cast(company.new_mrr as decimal(18, 2)) as new_mrr,
    cast(company.reactivated_accounts as integer) as reactivated_accounts,
    cast(company.reactivation_mrr as decimal(18, 2)) as reactivation_mrr,
    cast(company.expanded_accounts as integer) as expanded_accounts,
    cast(company.expansion_mrr as decimal(18, 2)) as expansion_mrr,
    cast(company.contracted_accounts as integer) as contracted_accounts,
    cast(company.contraction_mrr as decimal(18, 2)) as contraction_mrr,
    cast(company.churned_accounts as integer) as churned_accounts,
    cast(company.churned_mrr as decimal(18, 2)) as churned_mrr,
    cast(company.same_month_churn_count as integer) as same_month_churn_count,

    -- churn and retention
    cast(company.logo_churn_rate as {{ type_double() }}) as logo_churn_rate,
    cast(company.gross_revenue_churn_rate as {{ type_double() }}) as gross_revenue_churn_rate,
    cast(company.net_revenue_churn_rate as {{ type_double() }}) as net_revenue_churn_rate,
    cast(company.nrr_monthly as {{ type_double() }}) as nrr_monthly,
    cast(company.grr_monthly as {{ type_double() }}) as grr_monthly,
    cast(company.accounts_base_12m as integer) as accounts_base_12m,
    cast(company.mrr_base_12m as decimal(18, 2)) as mrr_base_12m,
    cast(company.nrr_12m as {{ type_double() }}) as nrr_12m,
    cast(company.grr_12m as {{ type_double() }}) as grr_12m,
    cast(company.retained_accounts as integer) as retained_accounts,
    cast(company.customer_retention_rate as {{ type_double() }}) as customer_retention_rate,

    -- growth inside the base
    cast(company.upsell_accounts as integer) as upsell_accounts,
    cast(company.upsell_rate as {{ type_double() }}) as upsell_rate,
    cast(company.cross_sell_accounts as integer) as cross_sell_accounts,
    cast(company.cross_sell_rate as {{ type_double() }}) as cross_sell_rate,

    -- lifetime value
    cast(company.trailing_6m_logo_churn_rate as {{ type_double() }}) as trailing_6m_logo_churn_rate,
    cast(company.ltv_simple as decimal(18, 2)) as ltv_simple,

    -- product usage, voice of the customer and support (int_usage_kpi_monthly)
    cast(usage.mau as integer) as mau,
    cast(usage.active_accounts as integer) as active_accounts,
    cast(usage.dau_avg as {{ type_double() }}) as dau_avg,
    cast(usage.stickiness as {{ type_double() }}) as stickiness,
    cast(usage.sessions as bigint) as sessions,
    cast(usage.avg_session_minutes as {{ type_double() }}) as avg_session_minutes,
    cast(usage.login_users as bigint) as login_users,
    cast(usage.licensed_seats as bigint) as licensed_seats,
    cast(usage.login_rate as {{ type_double() }}) as login_rate,
    cast(usage.feature_adoption_avg as {{ type_double() }}) as feature_adoption_avg,
    cast(usage.feature_breadth_avg as {{ type_double() }}) as feature_breadth_avg,
    cast(usage.nps as {{ type_double() }}) as nps,
    cast(usage.nps_responses as integer) as nps_responses,
    cast(usage.csat as {{ type_double() }}) as csat,
    cast(usage.csat_responses as integer) as csat_responses,
    cast(usage.onboarding_completion_rate as {{ type_double() }}) as onboarding_completion_rate,
    cast(usage.onboarding_cohort_accounts as integer) as onboarding_cohort_accounts,
    cast(usage.onboarding_completed_accounts as integer) as onboarding_completed_accounts,
    cast(usage.tickets_opened as integer) as tickets_opened,
    cast(usage.escalated_tickets as integer) as escalated_tickets,
    cast(usage.open_tickets as integer) as open_tickets,
    cast(usage.median_first_response_minutes as {{ type_double() }}) as median_first_response_minutes,
    cast(usage.median_resolution_hours as {{ type_double() }}) as median_resolution_hours

from company
left join usage on company.month_start_date = usage.month
