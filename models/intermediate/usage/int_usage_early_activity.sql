-- early_activity (docs/kpis.md): per account, activity in the first var early_activity_days days after the
-- first contract start (days 0..N-1): active days, key actions, active users, distinct features used, and
-- whether onboarding was completed. is_window_complete = all N days have been observed.

{%- set days = var('early_activity_days') %}

with

onboarding as (
    select * from {{ ref('int_usage_account_onboarding') }}
),

events as (
    select
        onboarding.account_id,
        session_events.user_id,
        session_events.activity_date,
        session_events.feature_code,
        session_events.is_key_action_event
    from onboarding
    inner join {{ ref('int_usage_session_events') }} as session_events
        on
            onboarding.account_id = session_events.account_id
            and onboarding.contract_start_date <= session_events.activity_date
            and cast({{ dbt.dateadd('day', days, 'onboarding.contract_start_date') }} as date)
            > session_events.activity_date
            and session_events.activity_date <= {{ as_of_date() }}
),

activity as (
    select
        account_id,
        count(distinct activity_date) as active_days,
        sum(case when is_key_action_event then 1 else 0 end) as key_actions,
        count(distinct user_id) as active_users,
        count(distinct feature_code) as features_used
    from events
    group by account_id
)

select
    onboarding.account_id,
    onboarding.contract_start_date,
    onboarding.cohort_month,
    onboarding.observed_days >= {{ days }} as is_window_complete,
    coalesce(activity.active_days, 0) as active_days,
    coalesce(activity.key_actions, 0) as key_actions,
    coalesce(activity.active_users, 0) as active_users,
    coalesce(activity.features_used, 0) as features_used,
    onboarding.is_window_complete and onboarding.is_onboarding_completed as is_onboarding_completed
from onboarding
left join activity on onboarding.account_id = activity.account_id
