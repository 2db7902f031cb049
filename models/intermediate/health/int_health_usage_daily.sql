-- Usage component of account health, per account-day with an active contract item: active events over the
-- last 7 / 30 / prior 30 days, the events of the usage-alert baseline weeks (weeks
-- alert_usage_baseline_first_week..last_week back, summed) and the users active in the last 30 days. The
-- windows are rows frames over the gap-free spine int_health_account_days; usage before the account's first
-- contract item does not count. Incremental by day (macro health_recompute_bounds).

{{
    config(
        incremental_strategy=usage_incremental_strategy(),
        partition_by=usage_incremental_partition_by('score_date'),
        pre_hook="{{ planner_hash_joins() }}",
    )
}}

{%- set baseline_first = var('alert_usage_baseline_first_week') | int %}
{%- set baseline_last = var('alert_usage_baseline_last_week') | int %}

with

bounds as (
    {{ health_recompute_spine_bounds(is_incremental(), health_warmup_days()) }}
),

spine as (
    select
        account_days.account_id,
        account_days.score_date,
        account_days.has_active_item
    from {{ ref('int_health_account_days') }} as account_days
    cross join bounds
    where account_days.score_date >= bounds.first_spine_date
),

usage_daily as (
    select
        user_daily.account_id,
        user_daily.activity_date,
        sum(user_daily.active_event_count) as active_events
    from {{ ref('int_usage_user_daily') }} as user_daily
    cross join bounds
    where
        user_daily.activity_date <= {{ as_of_date() }}
        and user_daily.activity_date >= bounds.first_spine_date
    group by user_daily.account_id, user_daily.activity_date
),

windows as (
    select
        spine.account_id,
        spine.score_date,
        spine.has_active_item,
        sum(coalesce(usage_daily.active_events, 0)) over (
            partition by spine.account_id order by spine.score_date rows between 6 preceding and current row
        ) as active_events_7d,
        sum(coalesce(usage_daily.active_events, 0)) over (
            partition by spine.account_id order by spine.score_date rows between 29 preceding and current row
        ) as active_events_30d,
        sum(coalesce(usage_daily.active_events, 0)) over (
            partition by spine.account_id order by spine.score_date rows between 59 preceding and 30 preceding
        ) as active_events_prior_30d,
        sum(coalesce(usage_daily.active_events, 0)) over (
            partition by spine.account_id order by spine.score_date
            rows between {{ 7 * baseline_last + 6 }} preceding and {{ 7 * baseline_first }} preceding
        ) as usage_baseline_events
    from spine
    left join usage_daily
        on
            spine.account_id = usage_daily.account_id
            and spine.score_date = usage_daily.activity_date
)

select
    windows.account_id,
    windows.score_date,
    windows.active_events_7d,
    windows.active_events_30d,
    windows.active_events_prior_30d,
    windows.usage_baseline_events,
    coalesce(active_users.mau, 0) as active_users_30d,
    bounds.usage_load_id as _usage_load_id
from windows
cross join bounds
left join {{ ref('int_usage_active_users_daily') }} as active_users
    on
        windows.account_id = active_users.account_id
        and windows.score_date = active_users.report_date
where windows.has_active_item and windows.score_date >= bounds.first_output_date
