-- early_activity (docs/kpis.md): per account, activity in the first var early_activity_days days after the
-- first contract start (days 0..N-1): active days, key actions, active users, distinct features used, and
-- whether onboarding was completed. is_window_complete = all N days have been observed.

{%- set days = var('early_activity_days') %}

with

onboarding as (
    select * from {{ ref('int_usage_account_onboarding') }}
),

window_events as (
    -- the account's active events per user, day and feature in the window (int_usage_event_rollup)
    select
        onboarding.account_id,
        event_rollup.user_id,
        event_rollup.activity_date,
        event_rollup.feature_code,
        case when event_rollup.is_key_action_event then event_rollup.event_count else 0 end as key_actions
    from onboarding
    inner join {{ ref('int_usage_event_rollup') }} as event_rollup
        on
            onboarding.account_id = event_rollup.account_id
            and onboarding.contract_start_date <= event_rollup.activity_date
            and cast({{ dbt.dateadd('day', days, 'onboarding.contract_start_date') }} as date)
            > event_rollup.activity_date
            and event_rollup.activity_date <= {{ as_of_date() }}
    where event_rollup.event_count > 0
),

activity as (
    select
        account_id,
        count(distinct activity_date) as active_days,
        sum(key_actions) as key_actions,
        count(distinct user_id) as active_users,
        count(distinct feature_code) as features_used
    from window_events
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
