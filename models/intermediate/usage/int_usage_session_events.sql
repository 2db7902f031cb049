-- Every active product event with the session it belongs to (docs/kpis.md "sessions"): the SDK's session
-- id when the client sent one, else a new session after `session_inactivity_minutes` without events or
-- once `session_max_hours` have passed since the start of the inactivity run (the run = events chained
-- by gaps within the inactivity limit; the cap cuts it into blocks counted from the run's first event).
--
-- Incremental, and equal to a full refresh: each night only the events received since the last run are
-- read, plus the events they can change. A late event can only join, extend or bridge sessions of its own
-- user, so for each affected user the model re-sessionises from the start of the earliest inactivity run
-- that ends within the inactivity limit of the user's earliest new event (a run start is a boundary the
-- late event cannot move), and for SDK sessions the whole session of each new SDK id. Every event in that
-- range is written again (unique key event_id), so sessions that merged leave no stale rows behind.

{{
    config(
        materialized='incremental',
        unique_key='event_id',
        incremental_strategy=usage_incremental_strategy(),
        partition_by=usage_incremental_partition_by('activity_date'),
        on_schema_change='fail',
    )
}}

{%- set gap_seconds = var('session_inactivity_minutes') * 60 -%}
{%- set cap_seconds = var('session_max_hours') * 3600 %}
{%- set event_columns = [
    'event_id', 'user_id', 'account_id', 'sdk_session_id', 'event_name', 'feature_code', 'occurred_at',
    'activity_date', 'received_partition_date', '_load_id', 'is_login_event', 'is_key_action_event',
] %}

with

catalog as (
    select * from {{ ref('event_catalog') }}
),

active_events as {{ inline_cte() }} (
    -- system events (emails, background jobs) are not user activity: they never open or extend a session.
    -- Read where it is used, not stored first: a stored copy of the event history would be the widest
    -- intermediate result of the nightly (macros/engines.sql, inline_cte).
    select
        events.event_id,
        events.user_id,
        events.account_id,
        events.sdk_session_id,
        events.event_name,
        events.feature_code,
        events.occurred_at,
        events.activity_date,
        events.received_partition_date,
        events._load_id,
        coalesce(catalog.is_login, false) as is_login_event,
        coalesce(catalog.is_key_action, false) as is_key_action_event
    from {{ ref('stg_product__events') }} as events
    left join catalog on events.event_name = catalog.event_name
    where
        not events.is_system_event
        and coalesce(catalog.is_active, true)
),

{% if is_incremental() %}

watermark as (
    -- events of loads since the last run, by load and not by event or file day: a backfilled day file is
    -- new work however old its day. A load is done before dbt runs, so its events are read once: the first
    -- night after a large backfill does not read the whole backfill again.
    select coalesce(max(_load_id), '') as last_load_id
    from {{ this }}
),

new_events as (
    select active_events.*
    from active_events
    inner join watermark on active_events._load_id > watermark.last_load_id
),

new_sdk_sessions as (
    select distinct
        user_id,
        sdk_session_id
    from new_events
    where sdk_session_id is not null
),

new_plain_by_user as (
    select
        user_id,
        min(occurred_at) as first_new_at
    from new_events
    where sdk_session_id is null
    group by user_id
),

runs_touched as (
    -- existing inactivity sessions a new event could join: any that ends within the gap before it or later
    select
        new_plain_by_user.user_id,
        min(this_events.run_started_at) as first_run_started_at
    from {{ this }} as this_events
    inner join new_plain_by_user
        on
            this_events.user_id = new_plain_by_user.user_id
            and this_events.session_source = 'inactivity'
            and this_events.session_ended_at >= {{ dbt.dateadd('second', -gap_seconds, 'new_plain_by_user.first_new_at') }}
    group by new_plain_by_user.user_id
),

restart_points as (
    select
        new_plain_by_user.user_id,
        case
            when runs_touched.first_run_started_at < new_plain_by_user.first_new_at
                then runs_touched.first_run_started_at
            else new_plain_by_user.first_new_at
        end as restart_at
    from new_plain_by_user
    left join runs_touched on new_plain_by_user.user_id = runs_touched.user_id
),

events_to_sessionise as (
    -- the new events, plus the earlier events they re-sessionise read back from this table, which holds every
    -- active event of the earlier loads: the event history is never read again in full. An event of an
    -- earlier load that came again (a reloaded day file) is taken from the new load only: an anti-join
    -- (not exists), which every engine hashes; PostgreSQL runs `not in (subquery)` row by row once the new
    -- load's ids outgrow work_mem.
    select * from new_events

    union all

    select
        {%- for column in event_columns %}
        this_events.{{ column }}{{ "," if not loop.last }}
        {%- endfor %}
    from {{ this }} as this_events
    inner join new_sdk_sessions
        on
            this_events.user_id = new_sdk_sessions.user_id
            and this_events.sdk_session_id = new_sdk_sessions.sdk_session_id
    where not exists (
        select 1 from new_events as reloaded
        where reloaded.event_id = this_events.event_id
    )

    union all

    select
        {%- for column in event_columns %}
        this_events.{{ column }}{{ "," if not loop.last }}
        {%- endfor %}
    from {{ this }} as this_events
    inner join restart_points
        on
            this_events.user_id = restart_points.user_id
            and this_events.occurred_at >= restart_points.restart_at
    where
        this_events.sdk_session_id is null
        and not exists (
            select 1 from new_events as reloaded
            where reloaded.event_id = this_events.event_id
        )
),

{% else %}

    events_to_sessionise as {{ inline_cte() }} (
        select * from active_events
    ),

{% endif %}

-- Inactivity sessions are cut on a narrow projection: one row per user and instant (events at the same
-- instant always share a session), sorted by user and time for the gap to the previous instant. The wide
-- event rows are never sorted: each finds its session by user and time range, as a user's sessions never
-- overlap (runs are apart by more than the inactivity limit, and the cap's blocks split a run by time).
plain_instants as (
    select
        user_id,
        occurred_at,
        max(_load_id) as _load_id
    from events_to_sessionise
    where sdk_session_id is null
    group by user_id, occurred_at
),

plain_with_gap as (
    select
        *,
        lag(occurred_at) over (partition by user_id order by occurred_at) as previous_occurred_at
    from plain_instants
),

plain_runs as (
    -- a run starts at an instant with no earlier one within the inactivity limit; starts only move forward
    -- in time, so the latest start so far (a running max, one sort shared with the lag above) is the run's
    select
        *,
        max(
            case
                when previous_occurred_at is null then occurred_at
                when {{ seconds_between('previous_occurred_at', 'occurred_at') }} > {{ gap_seconds }} then occurred_at
            end
        ) over (partition by user_id order by occurred_at rows unbounded preceding) as run_started_at
    from plain_with_gap
),

plain_blocks as (
    select
        *,
        cast(
            floor({{ seconds_between('run_started_at', 'occurred_at') }} / {{ cap_seconds }}) as {{ dbt.type_bigint() }}
        ) as cap_block
    from plain_runs
),

plain_block_bounds as (
    select
        user_id,
        run_started_at,
        cap_block,
        min(occurred_at) as session_started_at,
        max(occurred_at) as session_ended_at,
        max(_load_id) as block_load_id
    from plain_blocks
    group by user_id, run_started_at, cap_block
),

plain_session_bounds as (
    -- the session's id and start day once per session, not once per event
    select
        user_id,
        run_started_at,
        session_started_at,
        session_ended_at,
        cast({{ to_reporting_time('session_started_at') }} as date) as session_start_date,
        -- a run's latest load: any change to a run (and so to any of its capped blocks) brings a newer one
        max(block_load_id) over (partition by user_id, run_started_at) as _session_load_id,
        -- a user's inactivity sessions never start at the same instant
        {{ dbt.hash(dbt.concat([
            "'inactivity|'", 'user_id', "'|'", "cast(session_started_at as " ~ dbt.type_string() ~ ")"
        ])) }} as session_id
    from plain_block_bounds
),

plain_sessions as (
    select
        {%- for column in event_columns %}
            events_to_sessionise.{{ column }},
        {%- endfor %}
        'inactivity' as session_source,
        bounds.run_started_at,
        bounds._session_load_id,
        bounds.session_started_at,
        bounds.session_ended_at,
        bounds.session_start_date,
        bounds.session_id
    from events_to_sessionise
    inner join plain_session_bounds as bounds
        on
            events_to_sessionise.user_id = bounds.user_id
            and events_to_sessionise.occurred_at >= bounds.session_started_at
            and events_to_sessionise.occurred_at <= bounds.session_ended_at
    where events_to_sessionise.sdk_session_id is null
),

sdk_session_bounds as (
    select
        user_id,
        sdk_session_id,
        min(occurred_at) as session_started_at,
        max(occurred_at) as session_ended_at,
        max(_load_id) as _session_load_id
    from events_to_sessionise
    where sdk_session_id is not null
    group by user_id, sdk_session_id
),

sdk_session_ids as (
    select
        *,
        cast({{ to_reporting_time('session_started_at') }} as date) as session_start_date,
        {{ dbt.hash(dbt.concat(["'sdk|'", 'user_id', "'|'", 'sdk_session_id'])) }} as session_id
    from sdk_session_bounds
),

sdk_sessions as (
    select
        {%- for column in event_columns %}
            events_to_sessionise.{{ column }},
        {%- endfor %}
        'sdk' as session_source,
        bounds.session_started_at as run_started_at,
        bounds._session_load_id,
        bounds.session_started_at,
        bounds.session_ended_at,
        bounds.session_start_date,
        bounds.session_id
    from events_to_sessionise
    inner join sdk_session_ids as bounds
        on
            events_to_sessionise.user_id = bounds.user_id
            and events_to_sessionise.sdk_session_id = bounds.sdk_session_id
),

sessionised as (
    select * from plain_sessions
    union all
    select * from sdk_sessions
)

select
    event_id,
    user_id,
    account_id,
    session_id,
    session_source,
    sdk_session_id,
    event_name,
    feature_code,
    is_login_event,
    is_key_action_event,
    occurred_at,
    activity_date,
    received_partition_date,
    _load_id,
    _session_load_id,
    run_started_at,
    session_started_at,
    session_ended_at,
    session_start_date
from sessionised
