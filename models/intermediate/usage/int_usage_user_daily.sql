-- Daily usage per product user, on reporting-zone days (docs/kpis.md "sessions", user-day grain).
-- session_count counts every session with an event on the day, so a session crossing midnight counts on
-- both days; sessions_started and session_seconds belong to the day the session started, so that they add
-- up over days and months without double counting. Event counts come from int_usage_event_rollup,
-- sessions from int_usage_session_days.
--
-- Incremental, and equal to a full refresh (bookkeeping column _last_session_load_id aside): a run
-- recomputes every user of each reporting day that a rollup row or a re-cut session written since its last
-- run touches (a re-cut session's days and its start day), so a user-day whose last event a corrected file
-- removed leaves the table with its day (delete+insert by day). _last_session_load_id is the watermark of
-- the models downstream: on a full refresh the latest load behind the user-day's sessions, on an
-- incremental run the run's latest load for every row it rewrote.

{{
    config(
        materialized='incremental',
        unique_key='activity_date',
        incremental_strategy=usage_incremental_strategy(),
        partition_by=usage_incremental_partition_by('activity_date'),
        on_schema_change='fail',
    )
}}

{%- set stamp = 'night.night_load_id' if is_incremental() else 'sessions_by_day._last_session_load_id' %}

with

{% if is_incremental() %}

watermark as (
    select coalesce(max(_last_session_load_id), '') as last_load_id
    from {{ this }}
),

night as (
    select max(_last_load_id) as night_load_id
    from {{ ref('int_usage_event_rollup') }}
),

changed_sessions as {{ inline_cte() }} (
    select
        session_days.activity_date,
        session_days.session_start_date
    from {{ ref('int_usage_session_days') }} as session_days
    inner join watermark on session_days._session_load_id > watermark.last_load_id
),

affected_days as (
    select event_rollup.activity_date
    from {{ ref('int_usage_event_rollup') }} as event_rollup
    inner join watermark on event_rollup._last_load_id > watermark.last_load_id
    union
    select activity_date from changed_sessions
    union
    select session_start_date from changed_sessions
),

{% endif %}

events_by_day as (
    select
        event_rollup.user_id,
        event_rollup.activity_date,
        max(event_rollup.account_id) as account_id,
        sum(event_rollup.event_count) as active_event_count,
        sum(case when event_rollup.is_login_event then event_rollup.event_count else 0 end) as login_event_count,
        sum(case when event_rollup.is_key_action_event then event_rollup.event_count else 0 end) as key_action_count,
        sum(
            case when event_rollup.feature_code is not null then event_rollup.event_count else 0 end
        ) as feature_use_count
    from {{ ref('int_usage_event_rollup') }} as event_rollup
    {%- if is_incremental() %}
    inner join affected_days on event_rollup.activity_date = affected_days.activity_date
    {%- endif %}
    where event_rollup.event_count > 0
    group by event_rollup.user_id, event_rollup.activity_date
),

sessions_by_day as (
    select
        session_days.user_id,
        session_days.activity_date,
        count(distinct session_days.session_id) as session_count,
        max(session_days._session_load_id) as _last_session_load_id
    from {{ ref('int_usage_session_days') }} as session_days
    {%- if is_incremental() %}
    inner join affected_days on session_days.activity_date = affected_days.activity_date
    {%- endif %}
    group by session_days.user_id, session_days.activity_date
),

started_sessions as (
    select distinct
        session_days.user_id,
        session_days.session_start_date,
        session_days.session_id,
        session_days.session_started_at,
        session_days.session_ended_at
    from {{ ref('int_usage_session_days') }} as session_days
    {%- if is_incremental() %}
    inner join affected_days on session_days.session_start_date = affected_days.activity_date
    {%- endif %}
),

sessions_by_start_day as (
    select
        user_id,
        session_start_date as activity_date,
        count(*) as sessions_started,
        sum({{ seconds_between('session_started_at', 'session_ended_at') }}) as session_seconds
    from started_sessions
    group by user_id, session_start_date
)

select
    events_by_day.user_id,
    events_by_day.account_id,
    events_by_day.activity_date,
    cast(events_by_day.active_event_count as {{ dbt.type_bigint() }}) as active_event_count,
    sessions_by_day.session_count,
    coalesce(sessions_by_start_day.sessions_started, 0) as sessions_started,
    cast(coalesce(sessions_by_start_day.session_seconds, 0) as {{ type_double() }}) as session_seconds,
    events_by_day.login_event_count,
    events_by_day.key_action_count,
    events_by_day.feature_use_count,
    {{ stamp }} as _last_session_load_id
from events_by_day
left join sessions_by_day
    on
        events_by_day.user_id = sessions_by_day.user_id
        and events_by_day.activity_date = sessions_by_day.activity_date
left join sessions_by_start_day
    on
        events_by_day.user_id = sessions_by_start_day.user_id
        and events_by_day.activity_date = sessions_by_start_day.activity_date
{%- if is_incremental() %}
cross join night
{%- endif %}
