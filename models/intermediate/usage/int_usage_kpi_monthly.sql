-- Company-level product usage and voice-of-the-customer KPIs per calendar month, for mart_kpi_monthly
-- (docs/kpis.md "Public tables"). One row per month of the calendar spine that has usage, survey or
-- support data; rates are fractions except nps (-100..100 by definition).

{%- set observed_days = dbt.datediff('months.month_start_date', 'months.snapshot_date', 'day') %}

with

months as (
    select * from {{ ref('int_months') }}
    where month_start_date <= {{ as_of_date() }}
),

user_daily as (
    select
        user_id,
        account_id,
        activity_date,
        cast({{ dbt.date_trunc('month', 'activity_date') }} as date) as month_start_date
    from {{ ref('int_usage_user_daily') }}
    where activity_date <= {{ as_of_date() }}
),

usage_company as (
    select
        month_start_date,
        count(distinct user_id) as mau,
        count(distinct account_id) as active_accounts,
        count(*) as active_user_days
    from user_daily
    group by month_start_date
),

account_usage as (
    select
        month_start_date,
        sum(sessions) as sessions,
        sum(session_seconds) as session_seconds,
        sum(case when licensed_seats > 0 then login_users else 0 end) as login_users,
        sum(licensed_seats) as licensed_seats
    from {{ ref('int_usage_account_monthly') }}
    group by month_start_date
),

adoption as (
    select
        month_start_date,
        avg(feature_adoption_rate) as feature_adoption_avg
    from {{ ref('int_usage_feature_adoption_monthly') }}
    group by month_start_date
),

breadth as (
    select
        month_start_date,
        avg(feature_breadth) as feature_breadth_avg
    from {{ ref('int_usage_feature_breadth_monthly') }}
    group by month_start_date
),

support as (
    select
        month_start_date,
        sum(tickets_opened) as tickets_opened,
        sum(escalated_tickets) as escalated_tickets,
        sum(open_tickets) as open_tickets
    from {{ ref('int_support_account_monthly') }}
    group by month_start_date
),

support_medians as (
    select
        cast({{ dbt.date_trunc('month', 'created_date') }} as date) as month_start_date,
        {{ median(seconds_between('created_at', 'first_response_at') ~ ' / 60.0') }} as median_first_response_minutes,
        {{ median(seconds_between('created_at', 'solved_at') ~ ' / 3600.0') }} as median_resolution_hours
    from {{ ref('stg_support__tickets') }}
    group by cast({{ dbt.date_trunc('month', 'created_date') }} as date)
),

csat as (
    select * from {{ ref('int_voc_csat_monthly') }}
    where touchpoint = 'all'
)

select
    months.month_start_date as month,
    months.fiscal_year,
    months.fiscal_quarter,
    months.is_complete,
    -- usage
    coalesce(usage_company.mau, 0) as mau,
    coalesce(usage_company.active_accounts, 0) as active_accounts,
    cast(coalesce(usage_company.active_user_days, 0) as {{ type_double() }})
    / ({{ observed_days }} + 1) as dau_avg,
    {{ safe_ratio(
        'coalesce(usage_company.active_user_days, 0) / (' ~ observed_days ~ ' + 1.0)',
        'coalesce(usage_company.mau, 0)'
    ) }} as stickiness,
    coalesce(account_usage.sessions, 0) as sessions,
    {{ safe_ratio('coalesce(account_usage.session_seconds, 0) / 60.0', 'coalesce(account_usage.sessions, 0)') }}
        as avg_session_minutes,
    coalesce(account_usage.login_users, 0) as login_users,
    coalesce(account_usage.licensed_seats, 0) as licensed_seats,
    {{ safe_ratio('coalesce(account_usage.login_users, 0)', 'coalesce(account_usage.licensed_seats, 0)') }}
        as login_rate,
    -- rounded: averages of doubles differ in the last bits with the engine's summation order
    {{ round_double('adoption.feature_adoption_avg', 10) }} as feature_adoption_avg,
    {{ round_double('breadth.feature_breadth_avg', 10) }} as feature_breadth_avg,
    -- voice of the customer
    nps.nps,
    coalesce(nps.nps_responses, 0) as nps_responses,
    csat.csat,
    coalesce(csat.csat_responses, 0) as csat_responses,
    -- onboarding of the accounts whose first contract started in the month
    onboarding.onboarding_completion_rate,
    coalesce(onboarding.onboarding_cohort_accounts, 0) as onboarding_cohort_accounts,
    coalesce(onboarding.onboarding_completed_accounts, 0) as onboarding_completed_accounts,
    -- support
    coalesce(support.tickets_opened, 0) as tickets_opened,
    coalesce(support.escalated_tickets, 0) as escalated_tickets,
    coalesce(support.open_tickets, 0) as open_tickets,
    support_medians.median_first_response_minutes,
    support_medians.median_resolution_hours
from months
left join usage_company on months.month_start_date = usage_company.month_start_date
left join account_usage on months.month_start_date = account_usage.month_start_date
left join adoption on months.month_start_date = adoption.month_start_date
left join breadth on months.month_start_date = breadth.month_start_date
left join {{ ref('int_voc_nps_monthly') }} as nps on months.month_start_date = nps.month_start_date
left join csat on months.month_start_date = csat.month_start_date
left join {{ ref('int_usage_onboarding_cohorts') }} as onboarding on months.month_start_date = onboarding.cohort_month
left join support on months.month_start_date = support.month_start_date
left join support_medians on months.month_start_date = support_medians.month_start_date
