-- Feature uses per account x feature x reporting-zone day ("Feature Used" events with a feature code), from
-- int_usage_event_rollup. Incremental, and equal to a full refresh: a run recomputes every key of each day
-- that a rollup row with a feature code written since its last run touches (a late event lands on the day
-- it happened; a key whose last use a corrected file removed leaves the table with its day).

{{
    config(
        materialized='incremental',
        unique_key='activity_date',
        incremental_strategy=usage_incremental_strategy(),
        partition_by=usage_incremental_partition_by('activity_date'),
        on_schema_change='fail',
    )
}}

with

feature_rows as (
    select
        event_rollup.account_id,
        event_rollup.user_id,
        event_rollup.feature_code,
        event_rollup.activity_date,
        event_rollup.event_count,
        event_rollup._last_load_id
    from {{ ref('int_usage_event_rollup') }} as event_rollup
    {%- if is_incremental() %}
    inner join (
        select distinct changed.activity_date
        from {{ ref('int_usage_event_rollup') }} as changed
        where
            changed.feature_code is not null
            and changed._last_load_id > (select coalesce(max(_last_load_id), '') from {{ this }})
    ) as affected_days on event_rollup.activity_date = affected_days.activity_date
    {%- endif %}
    where event_rollup.feature_code is not null
),

final as (
    select
        account_id,
        feature_code,
        activity_date,
        cast(sum(event_count) as {{ dbt.type_bigint() }}) as use_count,
        count(distinct case when event_count > 0 then user_id end) as user_count,
        max(case when event_count > 0 then _last_load_id end) as _last_load_id
    from feature_rows
    group by account_id, feature_code, activity_date
    having sum(event_count) > 0
)

select * from final
