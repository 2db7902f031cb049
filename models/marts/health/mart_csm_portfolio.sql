-- CSMポートフォリオ (docs/kpis.md "csm_portfolio"): per CSM and month, the accounts the CSM owned at the end
-- of the month (assignment history; the CRM owner when no assignment covers that day): paying accounts and
-- their ARR, average health and red accounts on the month's snapshot day, alerts open that day, and the ARR
-- churned and expanded in the month. Alerts count when their type is enabled (seed alert_type_policy). A
-- CSM keeps the churn of an account they owned at month end.

with

months as (
    select * from {{ ref('int_months') }}
    where month_start_date <= {{ as_of_date() }}
),

account_months as (
    select
        account_months.account_id,
        account_months.month_start_date,
        account_months.mrr_start,
        account_months.mrr_end,
        account_months.movement,
        months.snapshot_date
    from {{ ref('int_revenue_account_months') }} as account_months
    inner join months on account_months.month_start_date = months.month_start_date
),

owners as (
    select * from {{ ref('int_csm_owner_periods') }}
),

users as (
    select
        user_id,
        user_name
    from {{ ref('stg_crm__users') }}
),

owned as (
    select
        account_months.*,
        owners.csm_user_id
    from account_months
    left join owners
        on
            account_months.account_id = owners.account_id
            and {{ valid_on('owners', 'account_months.snapshot_date', open_start=true) }}
),

scores as (
    select
        account_id,
        score_date,
        health_score,
        health_band
    from {{ ref('mart_health_score_daily') }}
),

alerts_open as (
    select
        owned.account_id,
        owned.month_start_date,
        count(*) as open_alerts,
        sum(case when alerts.severity = 'critical' then 1 else 0 end) as open_critical_alerts
    from owned
    inner join {{ ref('mart_churn_risk_alerts') }} as alerts
        on
            owned.account_id = alerts.account_id
            and owned.snapshot_date between alerts.first_detected_date and alerts.last_detected_date
            and alerts.is_enabled
    group by owned.account_id, owned.month_start_date
),

portfolio as (
    select
        owned.csm_user_id,
        owned.month_start_date,
        sum(case when owned.mrr_end > 0 then 1 else 0 end) as paying_accounts,
        sum(owned.mrr_end) as mrr,
        avg(case when owned.mrr_end > 0 then scores.health_score end) as avg_health_score,
        sum(case when owned.mrr_end > 0 and scores.health_band = 'red' then 1 else 0 end) as red_accounts,
        sum(coalesce(alerts_open.open_alerts, 0)) as open_alerts,
        sum(coalesce(alerts_open.open_critical_alerts, 0)) as open_critical_alerts,
        sum(case when owned.movement = 'churn' then 1 else 0 end) as churned_accounts,
        sum(case when owned.movement = 'churn' then owned.mrr_start else 0 end) as churned_mrr,
        sum(case when owned.movement = 'expansion' then owned.mrr_end - owned.mrr_start else 0 end) as expansion_mrr
    from owned
    left join scores
        on
            owned.account_id = scores.account_id
            and owned.snapshot_date = scores.score_date
    left join alerts_open
        on
            owned.account_id = alerts_open.account_id
            and owned.month_start_date = alerts_open.month_start_date
    where owned.csm_user_id is not null
    group by owned.csm_user_id, owned.month_start_date
)

select
    portfolio.csm_user_id,
    users.user_name as csm_name,
    portfolio.month_start_date as month,
    months.fiscal_year,
    months.fiscal_quarter,
    months.is_complete,
    cast(portfolio.paying_accounts as integer) as paying_accounts,
    cast(12 * portfolio.mrr as decimal(18, 2)) as arr,
    -- rounded: averages of doubles differ in the last bits with the engine's summation order
    cast({{ round_double('portfolio.avg_health_score', 10) }} as {{ type_double() }}) as avg_health_score,
    cast(portfolio.red_accounts as integer) as red_accounts,
    cast(portfolio.open_alerts as integer) as open_alerts,
    cast(portfolio.open_critical_alerts as integer) as open_critical_alerts,
    cast(portfolio.churned_accounts as integer) as churned_accounts,
    cast(12 * portfolio.churned_mrr as decimal(18, 2)) as churned_arr,
    cast(12 * portfolio.expansion_mrr as decimal(18, 2)) as expanded_arr
from portfolio
inner join months on portfolio.month_start_date = months.month_start_date
left join users on portfolio.csm_user_id = users.user_id
