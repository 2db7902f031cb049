-- Key-user component of account health, per account-day with an active contract item: the admin and
-- champion users counted on the day (registered, not deactivated), those inactive for
-- alert_key_user_inactive_days days or more (a span of int_health_key_user_spans covers the day), and the
-- longest such inactivity in days. Incremental by day (macro health_recompute_bounds).

{{
    config(
        incremental_strategy=usage_incremental_strategy(),
        partition_by=usage_incremental_partition_by('score_date'),
        pre_hook="{{ planner_hash_joins() }}",
    )
}}

{%- set covers = "active_days.score_date >= spans.span_from_date and "
    ~ "(spans.span_to_date is null or active_days.score_date <= spans.span_to_date)" %}

with

bounds as (
    {{ health_recompute_bounds(is_incremental()) }}
),

active_days as (
    {{ health_active_days() }}
),

key_user_status as (
    select
        active_days.account_id,
        active_days.score_date,
        count(distinct spans.user_id) as key_users,
        count(distinct case when {{ covers }} then spans.user_id end) as inactive_key_users,
        max(case
            when {{ covers }} then {{ dbt.datediff('spans.inactive_since_date', 'active_days.score_date', 'day') }}
        end) as max_key_user_inactive_days
    from active_days
    inner join {{ ref('int_health_key_user_spans') }} as spans
        on
            active_days.account_id = spans.account_id
            and active_days.score_date >= spans.counted_from_date
            and (spans.deactivated_date is null or active_days.score_date < spans.deactivated_date)
    group by active_days.account_id, active_days.score_date
)

select
    active_days.account_id,
    active_days.score_date,
    coalesce(key_user_status.key_users, 0) as key_users,
    coalesce(key_user_status.inactive_key_users, 0) as inactive_key_users,
    key_user_status.max_key_user_inactive_days,
    bounds.usage_load_id as _usage_load_id
from active_days
cross join bounds
left join key_user_status
    on
        active_days.account_id = key_user_status.account_id
        and active_days.score_date = key_user_status.score_date
