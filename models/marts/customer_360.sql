-- 顧客360 (docs/kpis.md "customer_360", a public table): one row per CRM account, the single place a CSM
-- looks. Revenue is the latest month of mart_mrr_movements (the as-of month), so that ARR here reconciles
-- with the revenue marts; health is the account's latest scored day; activity, tickets and alerts are as
-- of the as-of day. No customer personal data; the owning CSM appears by CRM user id and name.

with

accounts as (
    select * from {{ ref('stg_crm__accounts') }}
),

latest_month as (
    select max(month) as month
    from {{ ref('mart_mrr_movements') }}
),

revenue as (
    select movements.*
    from {{ ref('mart_mrr_movements') }} as movements
    inner join latest_month on movements.month = latest_month.month
),

first_paid as (
    select
        account_id,
        max(first_paid_month) as first_paid_month
    from {{ ref('int_revenue_account_months') }}
    group by account_id
),

tiers as (
    select tiers.*
    from {{ ref('int_health_touch_tiers') }} as tiers
    inner join latest_month on tiers.month_start_date = latest_month.month
),

owners as (
    select
        periods.account_id,
        periods.csm_user_id
    from {{ ref('int_csm_owner_periods') }} as periods
    where {{ valid_on('periods', as_of_date(), open_start=true) }}
),

latest_scores as (
    select
        scores.*,
        row_number() over (partition by scores.account_id order by scores.score_date desc) as recency_rank
    from {{ ref('mart_health_score_daily') }} as scores
    where scores.score_date <= {{ as_of_date() }}
),

signals as (
    select * from {{ ref('int_health_signals_daily') }}
),

activity as (
    select
        account_id,
        max(activity_date) as last_active_date,
        max(case when login_event_count > 0 then activity_date end) as last_login_date
    from {{ ref('int_usage_user_daily') }}
    where activity_date <= {{ as_of_date() }}
    group by account_id
),

nps_ranked as (
    select
        account_id,
        nps_score,
        responded_date,
        row_number() over (partition by account_id order by responded_at desc, response_id desc) as recency_rank
    from {{ ref('stg_survey__nps_responses') }}
    where responded_date <= {{ as_of_date() }}
),

open_tickets as (
    select
        account_id,
        count(*) as open_tickets,
        sum(case when ticket_priority = 'urgent' then 1 else 0 end) as open_urgent_tickets
    from {{ ref('stg_support__tickets') }}
    where
        created_date <= {{ as_of_date() }}
        and (solved_at is null or cast({{ to_reporting_time('solved_at') }} as date) > {{ as_of_date() }})
    group by account_id
),

renewals as (
    -- the next fixed-term renewal on the as-of day, the rule of the health score's lifecycle component and of
    -- the renewal_at_risk alert: one rule, read where it is computed
    select
        account_id,
        next_renewal_date
    from {{ ref('int_health_lifecycle_daily') }}
    where score_date = {{ as_of_date() }}
),

users as (
    select
        user_id,
        user_name
    from {{ ref('stg_crm__users') }}
),

pending_cancellations as (
    select distinct account_id
    from {{ ref('stg_crm__contracts') }}
    where contract_status = 'pending_cancellation'
),

open_alerts as (
    select
        account_id,
        count(*) as open_alerts,
        sum(case when severity = 'critical' then 1 else 0 end) as open_critical_alerts,
        {{ dbt.listagg('alert_type', "', '", 'order by alert_type') }} as open_alert_types
    from {{ ref('mart_churn_risk_alerts') }}
    where is_actionable
    group by account_id
),

onboarding as (
    select
        account_id,
        case
            when is_onboarding_completed then 'completed'
            when is_window_complete then 'missed'
            else 'in_progress'
        end as onboarding_status
    from {{ ref('int_usage_account_onboarding') }}
)

select
    -- CRM attributes
    accounts.account_id,
    accounts.account_name,
    accounts.parent_account_id,
    accounts.segment,
    accounts.industry,
    accounts.prefecture,
    cast(accounts.employee_count as integer) as employee_count,
    cast(accounts.created_at as {{ dbt.type_timestamp() }}) as created_at,

    -- plan, owner and coverage
    revenue.plan_id,
    revenue.plan_name,
    revenue.plan_tier,
    owners.csm_user_id as owner_csm_user_id,
    users.user_name as owner_csm_name,
    tiers.touch_tier,

    -- revenue (the latest month of mart_mrr_movements)
    latest_month.month as revenue_month,
    cast(coalesce(revenue.mrr_end, 0) as decimal(18, 2)) as mrr,
    cast(12 * coalesce(revenue.mrr_end, 0) as decimal(18, 2)) as arr,
    coalesce(revenue.mrr_end, 0) > 0 as is_paying_customer,
    pending_cancellations.account_id is not null as is_pending_cancellation,
    first_paid.first_paid_month,
    case
        when first_paid.first_paid_month is not null
            then cast({{ dbt.datediff('first_paid.first_paid_month', 'latest_month.month', 'month') }} as integer)  -- noqa: LT05
    end as tenure_months,
    {{ tenure_band(dbt.datediff('first_paid.first_paid_month', 'latest_month.month', 'month')) }} as tenure_band,

    -- health (latest scored day) and its trend
    latest_scores.score_date as health_score_date,
    latest_scores.health_score,
    latest_scores.health_band,
    latest_scores.health_score_change_30d,
    case
        when latest_scores.health_score_change_30d >= {{ var('health_trend_min_change') }} then 'up'
        when latest_scores.health_score_change_30d <= -{{ var('health_trend_min_change') }} then 'down'
        when latest_scores.health_score_change_30d is not null then 'flat'
    end as health_trend,

    -- usage
    activity.last_login_date,
    activity.last_active_date,
    cast(signals.active_users_30d as integer) as active_users_30d,
    cast(signals.licensed_seats as integer) as licensed_seats,
    cast(signals.active_user_share as {{ type_double() }}) as seat_utilisation,

    -- voice of the customer and support
    nps_ranked.nps_score as last_nps_score,
    nps_ranked.responded_date as last_nps_date,
    cast(coalesce(open_tickets.open_tickets, 0) as integer) as open_tickets,
    cast(coalesce(open_tickets.open_urgent_tickets, 0) as integer) as open_urgent_tickets,

    -- renewal, alerts, onboarding
    renewals.next_renewal_date,
    cast(coalesce(open_alerts.open_alerts, 0) as integer) as open_alerts,
    cast(coalesce(open_alerts.open_critical_alerts, 0) as integer) as open_critical_alerts,
    open_alerts.open_alert_types,
    coalesce(onboarding.onboarding_status, 'not_measured') as onboarding_status

from accounts
cross join latest_month
left join revenue on accounts.account_id = revenue.account_id
left join first_paid on accounts.account_id = first_paid.account_id
left join tiers on accounts.account_id = tiers.account_id
left join owners on accounts.account_id = owners.account_id
left join users on owners.csm_user_id = users.user_id
left join latest_scores
    on
        accounts.account_id = latest_scores.account_id
        and latest_scores.recency_rank = 1
left join signals
    on
        latest_scores.account_id = signals.account_id
        and latest_scores.score_date = signals.score_date
left join activity on accounts.account_id = activity.account_id
left join nps_ranked
    on
        accounts.account_id = nps_ranked.account_id
        and nps_ranked.recency_rank = 1
left join open_tickets on accounts.account_id = open_tickets.account_id
left join renewals on accounts.account_id = renewals.account_id
left join pending_cancellations on accounts.account_id = pending_cancellations.account_id
left join open_alerts on accounts.account_id = open_alerts.account_id
left join onboarding on accounts.account_id = onboarding.account_id
