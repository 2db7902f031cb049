-- Feature component of account health, per account-day with an active contract item: the core features on
-- the account's plan tier, and those of them used within the trailing feature_window_days. Each use of a core
-- feature covers the days up to the next use (at most the window), so the spans of one account and feature
-- never overlap. Incremental by day (macro health_recompute_bounds).

{{
    config(
        incremental_strategy=usage_incremental_strategy(),
        partition_by=usage_incremental_partition_by('score_date'),
        pre_hook="{{ planner_hash_joins() }}",
    )
}}

{%- set feature_window = var('feature_window_days') | int %}

with

bounds as (
    {{ health_recompute_bounds(is_incremental()) }}
),

active_days as (
    {{ health_active_days(['plan_tier_rank']) }}
),

tier_names as (
    select distinct
        plan_tier_rank,
        plan_tier
    from {{ ref('stg_crm__plans') }}
),

core_feature_uses as (
    select
        feature_daily.account_id,
        feature_daily.feature_code,
        feature_daily.activity_date,
        lead(feature_daily.activity_date) over (
            partition by feature_daily.account_id, feature_daily.feature_code order by feature_daily.activity_date
        ) as next_use_date
    from {{ ref('int_usage_feature_daily') }} as feature_daily
    inner join {{ ref('features') }} as features
        on feature_daily.feature_code = features.feature_code
    cross join bounds
    where
        features.is_core
        and feature_daily.use_count > 0
        and feature_daily.activity_date <= {{ as_of_date() }}
        -- a use earlier than the window before the first written day covers none of the written days
        and feature_daily.activity_date
        >= cast({{ dbt.dateadd('day', -feature_window, 'bounds.first_output_date') }} as date)
),

core_feature_spans as (
    select
        account_id,
        feature_code,
        activity_date as covered_from_date,
        case
            when
                next_use_date is not null
                and next_use_date <= cast({{ dbt.dateadd('day', feature_window - 1, 'activity_date') }} as date)
                then cast({{ dbt.dateadd('day', -1, 'next_use_date') }} as date)
            else cast({{ dbt.dateadd('day', feature_window - 1, 'activity_date') }} as date)
        end as covered_to_date
    from core_feature_uses
),

plan_core_features as (
    select
        plan_tier,
        feature_code
    from {{ ref('int_usage_feature_plan_tiers') }}
    where is_core
),

features_available as (
    select
        active_days.account_id,
        active_days.score_date,
        count(*) as core_features_available
    from active_days
    inner join tier_names on active_days.plan_tier_rank = tier_names.plan_tier_rank
    inner join plan_core_features on tier_names.plan_tier = plan_core_features.plan_tier
    group by active_days.account_id, active_days.score_date
),

features_used as (
    select
        active_days.account_id,
        active_days.score_date,
        count(*) as core_features_used_30d
    from active_days
    inner join tier_names on active_days.plan_tier_rank = tier_names.plan_tier_rank
    inner join core_feature_spans
        on
            active_days.account_id = core_feature_spans.account_id
            and active_days.score_date between core_feature_spans.covered_from_date
            and core_feature_spans.covered_to_date
    inner join plan_core_features
        on
            tier_names.plan_tier = plan_core_features.plan_tier
            and core_feature_spans.feature_code = plan_core_features.feature_code
    group by active_days.account_id, active_days.score_date
)

select
    active_days.account_id,
    active_days.score_date,
    coalesce(features_available.core_features_available, 0) as core_features_available,
    coalesce(features_used.core_features_used_30d, 0) as core_features_used_30d,
    bounds.usage_load_id as _usage_load_id
from active_days
cross join bounds
left join features_available
    on
        active_days.account_id = features_available.account_id
        and active_days.score_date = features_available.score_date
left join features_used
    on
        active_days.account_id = features_used.account_id
        and active_days.score_date = features_used.score_date
