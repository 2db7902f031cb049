-- Usage per account and calendar month in the reporting zone: monthly active users (distinct users active
-- in the month), average DAU over the month's days so far, stickiness, sessions, logins vs licensed seats.
-- Months run over the account's MRR history (int_account_mrr_monthly) and any month with usage.

with

months as (
    select * from {{ ref('int_months') }}
    where month_start_date <= {{ as_of_date() }}
),

user_daily as {{ inline_cte() }} (
    -- read in two places below, scanned in each rather than stored first
    select
        user_daily.*,
        cast({{ dbt.date_trunc('month', 'user_daily.activity_date') }} as date) as month_start_date
    from {{ ref('int_usage_user_daily') }} as user_daily
    where user_daily.activity_date <= {{ as_of_date() }}
),

account_mrr as (
    select
        account_id,
        month_start_date,
        plan_id
    from {{ ref('int_account_mrr_monthly') }}
),

plans as (
    select
        plan_id,
        plan_tier
    from {{ ref('stg_crm__plans') }}
),

items as (
    select
        account_id,
        plan_id,
        seats,
        valid_from_date,
        valid_to_date
    from {{ ref('int_contract_items_enriched') }}
),

user_months as (
    -- one row per user and month first, so that users and login users are counted as rows: distinct
    -- counts would have the engine keep a copy of every user-day to deduplicate
    select
        account_id,
        month_start_date,
        user_id,
        max(case when login_event_count > 0 then 1 else 0 end) as has_login,
        sum(sessions_started) as sessions,
        sum(session_seconds) as session_seconds,
        sum(active_event_count) as active_events,
        sum(key_action_count) as key_actions
    from user_daily
    group by account_id, month_start_date, user_id
),

usage_by_month as (
    select
        account_id,
        month_start_date,
        count(*) as monthly_active_users,
        count(case when has_login = 1 then user_id end) as login_users,
        sum(sessions) as sessions,
        sum(session_seconds) as session_seconds,
        sum(active_events) as active_events,
        sum(key_actions) as key_actions
    from user_months
    group by account_id, month_start_date
),

daily_active as (
    select
        account_id,
        month_start_date,
        activity_date,
        count(*) as daily_active_users
    from user_daily
    group by account_id, month_start_date, activity_date
),

dau_by_month as (
    select
        account_id,
        month_start_date,
        count(*) as active_days,
        sum(daily_active_users) as active_user_days
    from daily_active
    group by account_id, month_start_date
),

account_months as (
    select
        account_id,
        month_start_date
    from account_mrr
    union
    select
        account_id,
        month_start_date
    from usage_by_month
),

seats as (
    -- licensed seats = seats of the account's primary plan active at the month's snapshot day
    select
        account_mrr.account_id,
        account_mrr.month_start_date,
        sum(items.seats) as licensed_seats
    from account_mrr
    inner join months on account_mrr.month_start_date = months.month_start_date
    inner join items
        on
            account_mrr.account_id = items.account_id
            and account_mrr.plan_id = items.plan_id
            and {{ valid_on('items', 'months.snapshot_date') }}
    group by account_mrr.account_id, account_mrr.month_start_date
),

final as (
    select
        account_months.account_id,
        account_months.month_start_date,
        months.is_complete,
        -- days of the month observed so far: the whole month, or up to the as-of day
        {{ dbt.datediff('months.month_start_date', 'months.snapshot_date', 'day') }}
        + 1 as observed_days,
        account_mrr.plan_id,
        plans.plan_tier,
        coalesce(usage_by_month.monthly_active_users, 0) as monthly_active_users,
        coalesce(dau_by_month.active_days, 0) as active_days,
        coalesce(dau_by_month.active_user_days, 0) as active_user_days,
        coalesce(usage_by_month.login_users, 0) as login_users,
        seats.licensed_seats,
        coalesce(usage_by_month.sessions, 0) as sessions,
        coalesce(usage_by_month.session_seconds, 0) as session_seconds,
        coalesce(usage_by_month.active_events, 0) as active_events,
        coalesce(usage_by_month.key_actions, 0) as key_actions
    from account_months
    inner join months on account_months.month_start_date = months.month_start_date
    left join account_mrr
        on
            account_months.account_id = account_mrr.account_id
            and account_months.month_start_date = account_mrr.month_start_date
    left join plans on account_mrr.plan_id = plans.plan_id
    left join usage_by_month
        on
            account_months.account_id = usage_by_month.account_id
            and account_months.month_start_date = usage_by_month.month_start_date
    left join dau_by_month
        on
            account_months.account_id = dau_by_month.account_id
            and account_months.month_start_date = dau_by_month.month_start_date
    left join seats
        on
            account_months.account_id = seats.account_id
            and account_months.month_start_date = seats.month_start_date
)

select
    account_id,
    month_start_date,
    is_complete,
    observed_days,
    plan_id,
    plan_tier,
    monthly_active_users,
    active_days,
    cast(active_user_days as {{ type_double() }}) / observed_days as dau_avg,
    {{ safe_ratio('active_user_days', 'observed_days * monthly_active_users') }} as stickiness,
    login_users,
    licensed_seats,
    {{ safe_ratio('login_users', 'licensed_seats') }} as login_rate,
    sessions,
    session_seconds,
    active_events,
    key_actions
from final
