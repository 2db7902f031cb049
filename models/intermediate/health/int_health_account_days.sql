-- The account-day spine of account health: one row per account and reporting-zone day, gap-free, from the
-- account's first contract item (not before the first day of product-event history) to the as-of day, with
-- the contract items active on the day. Days come from dbt's date_spine. Trailing windows of the health
-- components are rows frames over these rows, so "29 preceding" is 30 calendar days on every engine.
-- Incremental: a run rewrites the days from its first recomputed day less the longest trailing window.

{{
    config(
        incremental_strategy=usage_incremental_strategy(),
        partition_by=usage_incremental_partition_by('score_date'),
        pre_hook="{{ planner_hash_joins() }}",
    )
}}

with

bounds as (
    {{ health_recompute_spine_bounds(is_incremental(), health_warmup_days()) }}
),

days as (
    {{ dbt.date_spine(
        datepart='day',
        start_date="cast('" ~ var('spine_start_date') ~ "' as date)",
        end_date='cast(' ~ dbt.dateadd('day', 1, as_of_date()) ~ ' as date)'
    ) }}
),

items as (
    select
        account_id,
        seats,
        plan_tier_rank,
        monthly_amount,
        valid_from_date,
        valid_to_date
    from {{ ref('int_contract_items_enriched') }}
),

account_starts as (
    select
        account_id,
        min(valid_from_date) as first_item_date
    from items
    group by account_id
),

spine as (
    select
        account_starts.account_id,
        cast(days.date_day as date) as score_date
    from account_starts
    cross join bounds
    inner join days
        on
            account_starts.first_item_date <= cast(days.date_day as date)
            and bounds.first_spine_date <= cast(days.date_day as date)
            and bounds.history_start_date <= cast(days.date_day as date)
),

tier_names as (
    select distinct
        plan_tier_rank,
        plan_tier
    from {{ ref('stg_crm__plans') }}
),

item_days as (
    select
        spine.account_id,
        spine.score_date,
        count(items.account_id) > 0 as has_active_item,
        max(items.seats) as licensed_seats,
        max(items.plan_tier_rank) as plan_tier_rank,
        max(case when items.monthly_amount > 0 then 1 else 0 end) = 1 as is_paying
    from spine
    left join items
        on
            spine.account_id = items.account_id
            and spine.score_date >= items.valid_from_date
            and (items.valid_to_date is null or spine.score_date < items.valid_to_date)
    group by spine.account_id, spine.score_date
)

select
    item_days.account_id,
    item_days.score_date,
    item_days.has_active_item,
    item_days.is_paying,
    item_days.licensed_seats,
    item_days.plan_tier_rank,
    tier_names.plan_tier,
    bounds.usage_load_id as _usage_load_id
from item_days
cross join bounds
left join tier_names on item_days.plan_tier_rank = tier_names.plan_tier_rank
