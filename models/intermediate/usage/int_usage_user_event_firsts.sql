-- The first reporting-zone day each product user did each event, per account the events carried: one row per
-- user x account x event name of the active events (int_usage_session_events). The milestone models read
-- it instead of the event history: a first day is the minimum over the user's events, and a minimum over
-- the account's or the user's rows here is the same minimum over the events.
--
-- Incremental: a night reads only the events of loads since its last run and keeps, per key, the earlier of
-- the stored first day and the new events' first day; an incremental run equals a full refresh
-- (tests/kpi/test_usage_incremental.py). A first day only moves earlier: a corrected day file that moves an
-- event to a later day keeps the earlier first day until a full refresh, as an event removed by such a file
-- stays in int_usage_session_events. On Spark it is rebuilt in full: a key's row moves to an earlier day,
-- which the partition overwrite there cannot follow.

{{
    config(
        materialized=('table' if target.type == 'spark' else 'incremental'),
        unique_key=['user_id', 'account_id', 'event_name'],
        incremental_strategy=usage_incremental_strategy(),
        on_schema_change='fail',
    )
}}

with

new_firsts as (
    -- every event on a full build; on an incremental run only the events of loads since the last one
    select
        user_id,
        account_id,
        event_name,
        min(activity_date) as first_activity_date,
        max(_load_id) as _last_load_id
    from {{ ref('int_usage_session_events') }}
    {%- if is_incremental() %}
    where _load_id > (select coalesce(max(_last_load_id), '') from {{ this }})
    {%- endif %}
    group by user_id, account_id, event_name
)

{% if is_incremental() %}

    select
        new_firsts.user_id,
        new_firsts.account_id,
        new_firsts.event_name,
        case
            when stored.first_activity_date < new_firsts.first_activity_date then stored.first_activity_date
            else new_firsts.first_activity_date
        end as first_activity_date,
        new_firsts._last_load_id
    from new_firsts
    left join {{ this }} as stored
        on
            new_firsts.user_id = stored.user_id
            and new_firsts.account_id = stored.account_id
            and new_firsts.event_name = stored.event_name

{% else %}

    select
        user_id,
        account_id,
        event_name,
        first_activity_date,
        _last_load_id
    from new_firsts

{% endif %}
