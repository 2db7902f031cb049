-- The raw signals behind account health, per account and reporting-zone day on which the account has an
-- active contract item, from the first day of product-event history on: the component models of
-- models/intermediate/health joined on the account-day spine int_health_account_days, with the ratios
-- derived from them. Everything is as of the end of the day: a later event, answer or ticket never changes
-- an earlier day except through late arrival, which the incremental lookback covers.
--
-- Incremental by day (delete+insert on DuckDB/PostgreSQL, insert_overwrite of those day partitions on
-- Spark), like every component (macro health_recompute_bounds): a run recomputes the days from (latest
-- scored day - health_incremental_lookback_days), or from the earliest usage day that a load since the last
-- run changed when that is earlier (a backfill of old event days). `_usage_load_id` records the latest usage
-- load each run saw. No window reads its own table, so the result equals a full rebuild as long as CRM,
-- ticket and survey changes fall within the lookback.

{{
    config(
        incremental_strategy=usage_incremental_strategy(),
        partition_by=usage_incremental_partition_by('score_date'),
        pre_hook="{{ planner_hash_joins() }}",
    )
}}

{%- set baseline_first = var('alert_usage_baseline_first_week') | int %}
{%- set baseline_last = var('alert_usage_baseline_last_week') | int %}
{%- set baseline_weeks = baseline_last - baseline_first + 1 %}
{%- set baseline_weekly_events =
    'cast(usage_windows.usage_baseline_events as ' ~ type_double() ~ ') / ' ~ baseline_weeks %}

with

bounds as (
    {{ health_recompute_bounds(is_incremental()) }}
),

active_days as (
    {{ health_active_days(['is_paying', 'licensed_seats', 'plan_tier']) }}
),

final as (
    select
        active_days.account_id,
        active_days.score_date,
        active_days.is_paying,
        active_days.licensed_seats,
        active_days.plan_tier,

        -- usage volume (active events) and its ratios
        usage_windows.active_events_7d,
        usage_windows.active_events_30d,
        usage_windows.active_events_prior_30d,
        {{ baseline_weekly_events }} as usage_baseline_weekly_events,
        {{ safe_ratio('usage_windows.active_events_7d', baseline_weekly_events) }} as usage_ratio_7d,
        {{ safe_ratio('usage_windows.active_events_30d', 'usage_windows.active_events_prior_30d') }} as usage_trend,

        -- users and seats
        usage_windows.active_users_30d,
        {{ safe_ratio('usage_windows.active_users_30d', 'active_days.licensed_seats') }} as active_user_share,

        -- features
        features.core_features_available,
        features.core_features_used_30d,
        {{ safe_ratio('features.core_features_used_30d', 'features.core_features_available') }} as feature_breadth,

        -- onboarding
        lifecycle.onboarding_status,

        -- voice of the customer
        nps.nps_avg_score,
        nps.nps_respondents,
        nps.latest_detractor_date,
        nps.lowest_detractor_score,

        -- support
        support_days.tickets_opened_window,
        support_days.overdue_urgent_tickets,
        support_days.oldest_urgent_ticket_age_days,

        -- renewal
        lifecycle.next_renewal_date,
        lifecycle.days_to_renewal,

        -- key users (admins and champions)
        key_users.key_users,
        key_users.inactive_key_users,
        key_users.max_key_user_inactive_days
    from active_days
    inner join {{ ref('int_health_usage_daily') }} as usage_windows
        on
            active_days.account_id = usage_windows.account_id
            and active_days.score_date = usage_windows.score_date
    inner join {{ ref('int_health_feature_breadth_daily') }} as features
        on
            active_days.account_id = features.account_id
            and active_days.score_date = features.score_date
    inner join {{ ref('int_health_lifecycle_daily') }} as lifecycle
        on
            active_days.account_id = lifecycle.account_id
            and active_days.score_date = lifecycle.score_date
    inner join {{ ref('int_health_nps_daily') }} as nps
        on
            active_days.account_id = nps.account_id
            and active_days.score_date = nps.score_date
    inner join {{ ref('int_health_support_daily') }} as support_days
        on
            active_days.account_id = support_days.account_id
            and active_days.score_date = support_days.score_date
    inner join {{ ref('int_health_key_users_daily') }} as key_users
        on
            active_days.account_id = key_users.account_id
            and active_days.score_date = key_users.score_date
)

select
    final.*,
    bounds.usage_load_id as _usage_load_id
from final
cross join bounds
