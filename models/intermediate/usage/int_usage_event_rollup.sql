-- The active product events (system events and inactive catalog events excluded), counted per landing day
-- file's partition, user, account, reporting-zone day, event name and feature code: the one model besides
-- sessionisation that reads the event history. The usage models read these rows instead of events.
--
-- Incremental, and equal to a full refresh: a run finds the partitions that loads since its last run
-- brought events to (by load, not by day: a backfilled or reloaded day file is new work however old its
-- day) and recomputes each of them whole from its current events (delete+insert by partition). A corrected
-- or reloaded day file so replaces its own rows, and an event it no longer holds leaves them. A key that the
-- reload emptied keeps one row with event_count 0 (its last counts gone, its instants those it had), stamped
-- with the reload's load: that is how the models downstream see the day it left. Every reader counts only
-- rows with event_count > 0; a full refresh has none of the zero rows.

{{
    config(
        materialized='incremental',
        unique_key='received_partition_date',
        incremental_strategy=usage_incremental_strategy(),
        partition_by=usage_incremental_partition_by('received_partition_date'),
        on_schema_change='fail',
    )
}}

with

catalog as (
    select * from {{ ref('event_catalog') }}
),

{% if is_incremental() %}

changed_partitions as (
    select distinct received_partition_date
    from {{ ref('stg_product__events') }}
    where _load_id > (select coalesce(max(_last_load_id), '') from {{ this }})
),

{% endif %}

active_events as (
    select
        events.received_partition_date,
        events.user_id,
        events.account_id,
        events.activity_date,
        events.event_name,
        events.feature_code,
        events.occurred_at,
        events._load_id,
        coalesce(catalog.is_login, false) as is_login_event,
        coalesce(catalog.is_key_action, false) as is_key_action_event
    from {{ ref('stg_product__events') }} as events
    left join catalog on events.event_name = catalog.event_name
    {%- if is_incremental() %}
    inner join changed_partitions on events.received_partition_date = changed_partitions.received_partition_date
    {%- endif %}
    where
        not events.is_system_event
        and coalesce(catalog.is_active, true)
),

rolled_up as (
    select
        received_partition_date,
        user_id,
        account_id,
        activity_date,
        event_name,
        feature_code,
        is_login_event,
        is_key_action_event,
        -- integer: the sums downstream keep the types of counts over events on every engine
        cast(count(*) as integer) as event_count,
        min(occurred_at) as first_occurred_at,
        max(occurred_at) as last_occurred_at,
        max(_load_id) as _last_load_id
    from active_events
    group by
        received_partition_date, user_id, account_id, activity_date, event_name, feature_code,
        is_login_event, is_key_action_event
)

{% if is_incremental() %}

, partition_loads as (
    select
        received_partition_date,
        max(_last_load_id) as _last_load_id
    from rolled_up
    group by received_partition_date
),

emptied as (
    -- keys of the recomputed partitions that held events before and hold none now
    select
        stored.received_partition_date,
        stored.user_id,
        stored.account_id,
        stored.activity_date,
        stored.event_name,
        stored.feature_code,
        stored.is_login_event,
        stored.is_key_action_event,
        cast(0 as integer) as event_count,
        stored.first_occurred_at,
        stored.last_occurred_at,
        partition_loads._last_load_id
    from {{ this }} as stored
    inner join partition_loads on stored.received_partition_date = partition_loads.received_partition_date
    where
        stored.event_count > 0
        and not exists (
            select 1 from rolled_up
            where
                rolled_up.received_partition_date = stored.received_partition_date
                and rolled_up.user_id = stored.user_id
                and rolled_up.account_id = stored.account_id
                and rolled_up.activity_date = stored.activity_date
                and rolled_up.event_name = stored.event_name
                and coalesce(rolled_up.feature_code, '') = coalesce(stored.feature_code, '')
        )
)

select * from rolled_up
union all
select * from emptied

{% else %}

    select * from rolled_up

{% endif %}
