-- Daily usage per product user, on reporting-zone days (docs/kpis.md "sessions", user-day grain).
-- session_count counts every session with an event on the day, so a session crossing midnight counts on
-- both days; sessions_started and session_seconds belong to the day the session started, so that they add
-- up over days and months without double counting.
--
-- Incremental: a user-day is rebuilt when any of its sessions (for inactivity sessions, their whole run)
-- took in an event of a load since the last run; _session_load_id carries that, so late events, backfilled
-- days and the sessions they merge reach every day they touch.

{{
    config(
        materialized='incremental',
        unique_key=['user_id', 'activity_date'],
        incremental_strategy=usage_incremental_strategy(),
        partition_by=usage_incremental_partition_by('activity_date'),
        on_schema_change='fail',
    )
}}

with

{#- Every step reads the session events table itself rather than a shared CTE: a CTE read several times is
    materialised whole (every event of the history), a table read with a join is scanned for what it needs. #}
{%- set session_events = ref('int_usage_session_events') ~ ' as session_events' %}

{% if is_incremental() %}

affected_days as (
    select distinct
        session_events.user_id,
        session_events.activity_date
    from {{ session_events }}
    where session_events._session_load_id > (
        select coalesce(max(_last_session_load_id), '') from {{ this }}
    )
),

affected_sessions as (
    -- sessions touching an affected day: their start day needs sessions_started and session_seconds again
    select distinct session_events.session_id
    from {{ session_events }}
    inner join affected_days
        on
            session_events.user_id = affected_days.user_id
            and session_events.activity_date = affected_days.activity_date
),

affected_keys as (
    select
        user_id,
        activity_date
    from affected_days
    union
    select
        session_events.user_id,
        session_events.session_start_date as activity_date
    from {{ session_events }}
    inner join affected_sessions on session_events.session_id = affected_sessions.session_id
),

day_events as (
    select session_events.*
    from {{ session_events }}
    inner join affected_keys
        on
            session_events.user_id = affected_keys.user_id
            and session_events.activity_date = affected_keys.activity_date
),

started_sessions_source as (
    select session_events.*
    from {{ session_events }}
    inner join affected_keys
        on
            session_events.user_id = affected_keys.user_id
            and session_events.session_start_date = affected_keys.activity_date
),

{% else %}

    day_events as (
        select * from {{ session_events }}
    ),

    started_sessions_source as (
        select * from {{ session_events }}
    ),

{% endif %}

events_by_day as (
    select
        user_id,
        activity_date,
        max(account_id) as account_id,
        count(*) as active_event_count,
        count(distinct session_id) as session_count,
        sum(case when is_login_event then 1 else 0 end) as login_event_count,
        sum(case when is_key_action_event then 1 else 0 end) as key_action_count,
        sum(case when feature_code is not null then 1 else 0 end) as feature_use_count,
        max(_session_load_id) as _last_session_load_id
    from day_events
    group by user_id, activity_date
),

started_sessions as (
    select distinct
        user_id,
        session_start_date,
        session_id,
        session_started_at,
        session_ended_at
    from started_sessions_source
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
    events_by_day.active_event_count,
    events_by_day.session_count,
    coalesce(sessions_by_start_day.sessions_started, 0) as sessions_started,
    cast(coalesce(sessions_by_start_day.session_seconds, 0) as {{ type_double() }}) as session_seconds,
    events_by_day.login_event_count,
    events_by_day.key_action_count,
    events_by_day.feature_use_count,
    events_by_day._last_session_load_id
from events_by_day
left join sessions_by_start_day
    on
        events_by_day.user_id = sessions_by_start_day.user_id
        and events_by_day.activity_date = sessions_by_start_day.activity_date
