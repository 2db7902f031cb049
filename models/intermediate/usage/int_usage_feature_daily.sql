-- Feature uses per account x feature x reporting-zone day ("Feature Used" events with a feature code).
-- Incremental: a key is recomputed from all its events whenever a new event for it arrives, so a late
-- event lands on the day it happened.

{{
    config(
        materialized='incremental',
        unique_key=['account_id', 'feature_code', 'activity_date'],
        incremental_strategy=usage_incremental_strategy(),
        partition_by=usage_incremental_partition_by('activity_date'),
        on_schema_change='fail',
    )
}}

{#- A subquery each step reads, not a shared CTE: a CTE read twice is materialised whole (every feature use of
    the history), a table read with a join is scanned for what it needs. #}
{%- set feature_events -%}
    (
        select
            account_id,
            user_id,
            feature_code,
            activity_date,
            _load_id
        from {{ ref('int_usage_session_events') }}
        where feature_code is not null
    ) as feature_events
{%- endset %}

with

{% if is_incremental() %}

affected_keys as (
    select distinct
        account_id,
        feature_code,
        activity_date
    from {{ feature_events }}
    where _load_id > (
        select coalesce(max(_last_load_id), '') from {{ this }}
    )
),

keyed_events as (
    select feature_events.*
    from {{ feature_events }}
    inner join affected_keys
        on
            feature_events.account_id = affected_keys.account_id
            and feature_events.feature_code = affected_keys.feature_code
            and feature_events.activity_date = affected_keys.activity_date
),

{% else %}

    keyed_events as (
        select * from {{ feature_events }}
    ),

{% endif %}

final as (
    select
        account_id,
        feature_code,
        activity_date,
        count(*) as use_count,
        count(distinct user_id) as user_count,
        max(_load_id) as _last_load_id
    from keyed_events
    group by account_id, feature_code, activity_date
)

select * from final
