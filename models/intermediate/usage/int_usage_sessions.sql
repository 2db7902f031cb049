-- One row per session (docs/kpis.md "sessions"): duration = last - first event of the session. A view over
-- the incremental session-day model, so it costs nothing at night and is never stale.

{{ config(materialized='view') }}

select
    session_id,
    user_id,
    account_id,
    session_source,
    session_started_at,
    session_ended_at,
    session_start_date,
    {{ seconds_between('session_started_at', 'session_ended_at') }} as session_duration_seconds,
    cast(sum(event_count) as {{ dbt.type_bigint() }}) as event_count,
    count(*) as active_day_count
from {{ ref('int_usage_session_days') }}
group by
    session_id,
    user_id,
    account_id,
    session_source,
    session_started_at,
    session_ended_at,
    session_start_date
