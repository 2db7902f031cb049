-- The first reporting-zone day of each product user's active events, per account and event name, from
-- int_usage_event_rollup; the milestone models read it instead of the event history.
--
-- Incremental, and equal to a full refresh: a run recomputes every key of each user that a rollup row
-- written since its last run names, from that user's rollup rows (delete+insert by user), so a first day
-- moves earlier with a late event and later when a corrected file removes or moves the first event. On
-- Spark it is rebuilt in full from the rollup: a user's rows span no partition column.

{{
    config(
        materialized=('table' if target.type == 'spark' else 'incremental'),
        unique_key='user_id',
        incremental_strategy=usage_incremental_strategy(),
        on_schema_change='fail',
    )
}}

select
    event_rollup.user_id,
    event_rollup.account_id,
    event_rollup.event_name,
    min(event_rollup.activity_date) as first_activity_date,
    max(event_rollup._last_load_id) as _last_load_id
from {{ ref('int_usage_event_rollup') }} as event_rollup
{%- if is_incremental() %}
inner join (
    select distinct changed.user_id
    from {{ ref('int_usage_event_rollup') }} as changed
    where changed._last_load_id > (select coalesce(max(_last_load_id), '') from {{ this }})
) as affected_users on event_rollup.user_id = affected_users.user_id
{%- endif %}
where event_rollup.event_count > 0
group by event_rollup.user_id, event_rollup.account_id, event_rollup.event_name
