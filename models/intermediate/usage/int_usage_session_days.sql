-- Product sessions (docs/kpis.md "sessions"), one row per session, account and reporting-zone day it has
-- active events on, with their count: a session crossing midnight has a row on each day. The session is the
-- SDK's session id when the client sent one, else a new session after `session_inactivity_minutes` without
-- events or once `session_max_hours` have passed since the start of the inactivity run (the run = events
-- chained by gaps within the inactivity limit; the cap cuts it into blocks counted from the run's first
-- event). System events and inactive catalog events open and extend nothing.
--
-- Incremental, and equal to a full refresh (bookkeeping column _session_load_id aside). A run looks at the
-- rollup rows written since its last run (int_usage_event_rollup: new, late, corrected and removed events
-- all leave one there, a removed one as a zero row) and, for each user they name, re-cuts only what those
-- changes can reach: the inactivity runs from the earliest that ends within the inactivity limit of the
-- day before the user's earliest changed event (an event is never earlier than the start of its reporting
-- day, and a run start before that is a boundary no change can move), and the SDK sessions that end after
-- that point or took a new event. Those events are read again from the event history (the user's events
-- from the restart on, the SDK sessions' events), so an event a corrected file removed is gone from its
-- session and sessions that merge or split leave nothing behind. The user's other sessions are copied from
-- the table (delete+insert by user). Rows a run re-cuts carry that run's latest load in _session_load_id,
-- the watermark of the models downstream; a full refresh gives each inactivity run, and each SDK session,
-- the latest load of its events. On Spark the table is rebuilt in full: a user's rows span partitions the
-- partition overwrite there would not all rewrite.

-- depends_on: {{ ref('int_usage_event_rollup') }}

{{
    config(
        materialized=('table' if target.type == 'spark' else 'incremental'),
        unique_key='user_id',
        incremental_strategy=usage_incremental_strategy(),
        on_schema_change='fail',
    )
}}

{%- set gap_seconds = var('session_inactivity_minutes') * 60 -%}
{%- set cap_seconds = var('session_max_hours') * 3600 %}

with

catalog as (
    select * from {{ ref('event_catalog') }}
),

active_events as {{ inline_cte() }} (
    select
        events.user_id,
        events.account_id,
        events.sdk_session_id,
        events.occurred_at,
        events.activity_date,
        events._load_id
    from {{ ref('stg_product__events') }} as events
    left join catalog on events.event_name = catalog.event_name
    where
        not events.is_system_event
        and coalesce(catalog.is_active, true)
),

{% if is_incremental() %}

watermark as (
    select coalesce(max(_session_load_id), '') as last_load_id
    from {{ this }}
),

night as (
    -- the latest load of the events: the stamp of the rows this run re-cuts
    select max(_last_load_id) as night_load_id
    from {{ ref('int_usage_event_rollup') }}
),

changed_users as (
    -- two days before the earliest changed event: at or before the start of its reporting day
    select
        event_rollup.user_id,
        {{ dbt.dateadd('day', -2, 'min(event_rollup.first_occurred_at)') }} as changed_from
    from {{ ref('int_usage_event_rollup') }} as event_rollup
    inner join watermark on event_rollup._last_load_id > watermark.last_load_id
    group by event_rollup.user_id
),

runs_touched as (
    -- inactivity runs that end within the inactivity limit before the change or later
    select
        changed_users.user_id,
        min(this_sessions.run_started_at) as first_run_started_at
    from {{ this }} as this_sessions
    inner join changed_users
        on
            this_sessions.user_id = changed_users.user_id
            and this_sessions.session_source = 'inactivity'
            and this_sessions.session_ended_at
            >= {{ dbt.dateadd('second', -gap_seconds, 'changed_users.changed_from') }}
    group by changed_users.user_id
),

restart_points as (
    select
        changed_users.user_id,
        case
            when runs_touched.first_run_started_at < changed_users.changed_from
                then runs_touched.first_run_started_at
            else changed_users.changed_from
        end as restart_at
    from changed_users
    left join runs_touched on changed_users.user_id = runs_touched.user_id
),

recut_sdk_sessions as (
    -- SDK sessions that took an event of a new load, and those a removed or moved event may have left
    select
        new_events.user_id,
        new_events.sdk_session_id
    from active_events as new_events
    inner join watermark on new_events._load_id > watermark.last_load_id
    where new_events.sdk_session_id is not null

    union

    select
        this_sessions.user_id,
        this_sessions.sdk_session_id
    from {{ this }} as this_sessions
    inner join changed_users
        on
            this_sessions.user_id = changed_users.user_id
            and this_sessions.session_source = 'sdk'
            and this_sessions.session_ended_at >= changed_users.changed_from
),

events_to_sessionise as (
    select active_events.*
    from active_events
    inner join restart_points
        on
            active_events.user_id = restart_points.user_id
            and active_events.occurred_at >= restart_points.restart_at
    where active_events.sdk_session_id is null

    union all

    select active_events.*
    from active_events
    inner join recut_sdk_sessions
        on
            active_events.user_id = recut_sdk_sessions.user_id
            and active_events.sdk_session_id = recut_sdk_sessions.sdk_session_id
),

{% else %}

    events_to_sessionise as {{ inline_cte() }} (
        select * from active_events
    ),

{% endif %}

-- Inactivity sessions are cut on a narrow projection: one row per user and instant (events at the same
-- instant always share a session), sorted by user and time for the gap to the previous instant.
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
    select
        user_id,
        run_started_at,
        session_started_at,
        session_ended_at,
        -- a run's latest load: any change to a run (and so to any of its capped blocks) brings a newer one
        max(block_load_id) over (partition by user_id, run_started_at) as _session_load_id,
        -- a user's inactivity sessions never start at the same instant
        {{ dbt.hash(dbt.concat([
            "'inactivity|'", 'user_id', "'|'", "cast(session_started_at as " ~ dbt.type_string() ~ ")"
        ])) }} as session_id
    from plain_block_bounds
),

plain_session_days as (
    -- each event finds its session by user and time range: a user's inactivity sessions never overlap
    select
        bounds.session_id,
        events_to_sessionise.user_id,
        events_to_sessionise.account_id,
        'inactivity' as session_source,
        cast(null as {{ dbt.type_string() }}) as sdk_session_id,
        bounds.run_started_at,
        bounds.session_started_at,
        bounds.session_ended_at,
        events_to_sessionise.activity_date,
        bounds._session_load_id,
        cast(count(*) as integer) as event_count
    from events_to_sessionise
    inner join plain_session_bounds as bounds
        on
            events_to_sessionise.user_id = bounds.user_id
            and events_to_sessionise.occurred_at >= bounds.session_started_at
            and events_to_sessionise.occurred_at <= bounds.session_ended_at
    where events_to_sessionise.sdk_session_id is null
    group by
        bounds.session_id, events_to_sessionise.user_id, events_to_sessionise.account_id, bounds.run_started_at,
        bounds.session_started_at, bounds.session_ended_at, events_to_sessionise.activity_date,
        bounds._session_load_id
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

sdk_session_days as (
    select
        {{ dbt.hash(dbt.concat(["'sdk|'", 'bounds.user_id', "'|'", 'bounds.sdk_session_id'])) }} as session_id,
        bounds.user_id,
        events_to_sessionise.account_id,
        'sdk' as session_source,
        bounds.sdk_session_id,
        bounds.session_started_at as run_started_at,
        bounds.session_started_at,
        bounds.session_ended_at,
        events_to_sessionise.activity_date,
        bounds._session_load_id,
        cast(count(*) as integer) as event_count
    from events_to_sessionise
    inner join sdk_session_bounds as bounds
        on
            events_to_sessionise.user_id = bounds.user_id
            and events_to_sessionise.sdk_session_id = bounds.sdk_session_id
    group by
        bounds.user_id, bounds.sdk_session_id, events_to_sessionise.account_id, bounds.session_started_at,
        bounds.session_ended_at, events_to_sessionise.activity_date, bounds._session_load_id
),

session_days as (
    select * from plain_session_days
    union all
    select * from sdk_session_days
),

final as (
    select
        session_id,
        user_id,
        account_id,
        session_source,
        sdk_session_id,
        run_started_at,
        session_started_at,
        session_ended_at,
        cast({{ to_reporting_time('session_started_at') }} as date) as session_start_date,
        activity_date,
        event_count,
        {{ 'night.night_load_id' if is_incremental() else '_session_load_id' }} as _session_load_id
    from session_days
    {%- if is_incremental() %}
    cross join night
    {%- endif %}
)

{% if is_incremental() %}

, kept as (
    -- the sessions of the re-cut users that no change reaches, as stored
    select
        this_sessions.session_id,
        this_sessions.user_id,
        this_sessions.account_id,
        this_sessions.session_source,
        this_sessions.sdk_session_id,
        this_sessions.run_started_at,
        this_sessions.session_started_at,
        this_sessions.session_ended_at,
        this_sessions.session_start_date,
        this_sessions.activity_date,
        this_sessions.event_count,
        this_sessions._session_load_id
    from {{ this }} as this_sessions
    inner join restart_points on this_sessions.user_id = restart_points.user_id
    where
        (this_sessions.session_source = 'inactivity' and this_sessions.run_started_at < restart_points.restart_at)
        or (
            this_sessions.session_source = 'sdk'
            and not exists (
                select 1 from recut_sdk_sessions
                where
                    recut_sdk_sessions.user_id = this_sessions.user_id
                    and recut_sdk_sessions.sdk_session_id = this_sessions.sdk_session_id
            )
        )
)

select * from final
union all
select * from kept

{% else %}

    select * from final

{% endif %}
