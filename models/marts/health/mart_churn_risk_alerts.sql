-- 解約予兆アラート (docs/kpis.md "churn_risk_alerts"). Each rule is evaluated on every scored account-day;
-- an alert is an episode of consecutive days on which its rule held. It is open while the rule still holds
-- on the latest evaluated day and closes the first day it does not (or the account is no longer scored),
-- so the table is a pure function of the daily history and a rebuild gives the same rows. Only the
-- episode that reaches the latest day can be open: one open alert per account and type.
--
-- An open alert of a type enabled in seed alert_type_policy is actionable (the types that do not foretell
-- churn better than the base rate, mart_alert_type_backtest, are off; their rows stay, is_enabled false).
-- Each CSM's accounts with actionable alerts are ranked by ARR at risk (the account's ARR in the latest
-- month), and the alerts of the first alert_daily_cap_per_csm accounts are the CSM's list for the day
-- (is_within_daily_cap).
--
-- Comparisons with an earlier day (the week before, the month before) and each episode's last day are
-- window functions over the account's days rather than joins of the daily table with itself, so every
-- engine reads it in one sorted pass (PostgreSQL would otherwise plan nested loops over millions of rows).

{%- set warn_ratio = var('alert_usage_warn_ratio') %}
{%- set critical_ratio = var('alert_usage_critical_ratio') %}
{%- set min_baseline = var('alert_usage_min_baseline_weekly_events') %}

with

signals as (
    select * from {{ ref('int_health_signals_daily') }}
),

-- the same account's values 7 and 30 days earlier, null when that day was not scored: a RANGE frame of
-- exactly that one day over the day number (one row per account and day)
compared as (
    select
        *,
        max(usage_ratio_7d) over (
            partition by account_id order by day_number range between 7 preceding and 7 preceding
        ) as usage_ratio_7d_week_before,
        max(usage_baseline_weekly_events) over (
            partition by account_id order by day_number range between 7 preceding and 7 preceding
        ) as usage_baseline_weekly_events_week_before,
        max(core_features_used_30d) over (
            partition by account_id order by day_number range between 30 preceding and 30 preceding
        ) as core_features_used_30d_month_before
    from (
        select
            *,
            {{ dbt.datediff("cast('2000-01-01' as date)", 'score_date', 'day') }} as day_number  -- noqa: LT05
        from signals
    ) as numbered
),

scores as (
    select
        account_id,
        score_date,
        health_score,
        health_band
    from {{ ref('mart_health_score_daily') }}
),

evaluated as (
    select max(score_date) as last_evaluated_date
    from signals
),

-- usage below warn_ratio of its baseline this week and the week before, on a baseline big enough to judge
usage_drop as (
    select
        account_id,
        score_date,
        'usage_drop' as alert_type,
        case
            when usage_ratio_7d < {{ critical_ratio }} and usage_ratio_7d_week_before < {{ critical_ratio }}
                then 'critical'
            else 'warning'
        end as severity,
        'usage_ratio_7d' as evidence_metric,
        usage_ratio_7d as evidence_value,
        usage_ratio_7d_week_before as evidence_compared_to,
        cast({{ warn_ratio }} as {{ type_double() }}) as evidence_threshold
    from compared
    where
        usage_ratio_7d < {{ warn_ratio }}
        and usage_ratio_7d_week_before < {{ warn_ratio }}
        and usage_baseline_weekly_events >= {{ min_baseline }}
        and usage_baseline_weekly_events_week_before >= {{ min_baseline }}
),

feature_breadth_drop as (
    select
        account_id,
        score_date,
        'feature_breadth_drop' as alert_type,
        'warning' as severity,
        'core_features_used_30d' as evidence_metric,
        cast(core_features_used_30d as {{ type_double() }}) as evidence_value,
        cast(core_features_used_30d_month_before as {{ type_double() }}) as evidence_compared_to,
        cast({{ var('alert_feature_breadth_drop') }} as {{ type_double() }}) as evidence_threshold
    from compared
    where
        core_features_used_30d_month_before - core_features_used_30d >= {{ var('alert_feature_breadth_drop') }}
),

key_user_inactive as (
    select
        account_id,
        score_date,
        'key_user_inactive' as alert_type,
        case when inactive_key_users = key_users then 'critical' else 'warning' end as severity,
        'inactive_key_users' as evidence_metric,
        cast(inactive_key_users as {{ type_double() }}) as evidence_value,
        cast(key_users as {{ type_double() }}) as evidence_compared_to,
        cast({{ var('alert_key_user_inactive_days') }} as {{ type_double() }}) as evidence_threshold
    from signals
    where inactive_key_users > 0
),

new_detractor as (
    select
        account_id,
        score_date,
        'new_detractor' as alert_type,
        'warning' as severity,
        'lowest_detractor_score' as evidence_metric,
        cast(lowest_detractor_score as {{ type_double() }}) as evidence_value,
        cast({{ dbt.datediff('latest_detractor_date', 'score_date', 'day') }} as {{ type_double() }})  -- noqa: LT05
            as evidence_compared_to,
        cast(6 as {{ type_double() }}) as evidence_threshold
    from signals
    where latest_detractor_date is not null
),

urgent_ticket_overdue as (
    select
        account_id,
        score_date,
        'urgent_ticket_overdue' as alert_type,
        'critical' as severity,
        'oldest_urgent_ticket_age_days' as evidence_metric,
        cast(oldest_urgent_ticket_age_days as {{ type_double() }}) as evidence_value,
        cast(overdue_urgent_tickets as {{ type_double() }}) as evidence_compared_to,
        cast({{ var('alert_urgent_ticket_open_days') }} as {{ type_double() }}) as evidence_threshold
    from signals
    where overdue_urgent_tickets > 0
),

renewal_at_risk as (
    select
        signals.account_id,
        signals.score_date,
        'renewal_at_risk' as alert_type,
        'critical' as severity,
        'days_to_renewal' as evidence_metric,
        cast(signals.days_to_renewal as {{ type_double() }}) as evidence_value,
        scores.health_score as evidence_compared_to,
        cast({{ var('alert_renewal_window_days') }} as {{ type_double() }}) as evidence_threshold
    from signals
    inner join scores
        on
            signals.account_id = scores.account_id
            and signals.score_date = scores.score_date
    where
        signals.days_to_renewal <= {{ var('alert_renewal_window_days') }}
        and scores.health_band = 'red'
),

low_seat_utilisation as (
    select
        account_id,
        score_date,
        'low_seat_utilisation' as alert_type,
        'warning' as severity,
        'active_user_share' as evidence_metric,
        active_user_share as evidence_value,
        cast(licensed_seats as {{ type_double() }}) as evidence_compared_to,
        cast({{ var('alert_seat_utilisation_below') }} as {{ type_double() }}) as evidence_threshold
    from signals
    where active_user_share < {{ var('alert_seat_utilisation_below') }}
),

detections as (
    select * from usage_drop
    union all
    select * from feature_breadth_drop
    union all
    select * from key_user_inactive
    union all
    select * from new_detractor
    union all
    select * from urgent_ticket_overdue
    union all
    select * from renewal_at_risk
    union all
    select * from low_seat_utilisation
),

-- consecutive detection days share one island key (day number - rank)
islands as (
    select
        *,
        {{ dbt.datediff("cast('2000-01-01' as date)", 'score_date', 'day') }}
        - row_number() over (partition by account_id, alert_type order by score_date) as episode_key
    from detections
),

-- each episode's span and length, on the row of its last detection day, which carries the episode's
-- latest evidence and severity
episode_days as (
    select
        *,
        min(score_date) over (partition by account_id, alert_type, episode_key) as first_detected_date,
        max(score_date) over (partition by account_id, alert_type, episode_key) as last_detected_date,
        count(*) over (partition by account_id, alert_type, episode_key) as detected_days,
        max(case when severity = 'critical' then 1 else 0 end) over (
            partition by account_id, alert_type, episode_key
        ) as critical_flag
    from islands
),

episodes as (
    select
        account_id,
        alert_type,
        first_detected_date,
        last_detected_date,
        detected_days,
        critical_flag = 1 as was_ever_critical,
        severity,
        evidence_metric,
        evidence_value,
        evidence_compared_to,
        evidence_threshold
    from episode_days
    where score_date = last_detected_date
),

owners as (
    select * from {{ ref('int_csm_owner_periods') }}
),

users as (
    select
        user_id,
        user_name
    from {{ ref('stg_crm__users') }}
),

policy as (
    select
        alert_type,
        is_enabled
    from {{ ref('alert_type_policy') }}
),

-- ARR at risk: the account's ARR in the latest month of mart_mrr_movements (customer_360.arr)
latest_arr as (
    select
        movements.account_id,
        12 * movements.mrr_end as arr
    from {{ ref('mart_mrr_movements') }} as movements
    where movements.month = (select max(latest.month) from {{ ref('mart_mrr_movements') }} as latest)
),

owned as (
    select
        episodes.*,
        -- the CSM who owned the account on the last detection day (the CRM owner when no assignment covers it)
        owners.csm_user_id as owner_csm_user_id
    from episodes
    left join owners
        on
            episodes.account_id = owners.account_id
            and {{ valid_on('owners', 'episodes.last_detected_date', open_start=true) }}
),

judged as (
    select
        owned.*,
        evaluated.last_evaluated_date,
        owned.last_detected_date = evaluated.last_evaluated_date as is_open,
        -- a type missing from the policy seed is enabled
        coalesce(policy.is_enabled, true) as is_enabled,
        coalesce(latest_arr.arr, 0) as arr_at_risk
    from owned
    cross join evaluated
    left join policy on owned.alert_type = policy.alert_type
    left join latest_arr on owned.account_id = latest_arr.account_id
),

-- the accounts with actionable alerts (open, of an enabled type) of each CSM by ARR at risk: every alert of
-- an account shares its rank, so the daily cap counts accounts, the unit a CSM acts on
ranked as (
    select
        judged.*,
        case
            when judged.is_open and judged.is_enabled
                then dense_rank() over (
                    partition by judged.owner_csm_user_id, judged.is_open and judged.is_enabled
                    order by judged.arr_at_risk desc, judged.account_id
                )
        end as priority_rank
    from judged
)

select
    {{ dbt.hash(dbt.concat([
        'ranked.account_id', "'|'", 'ranked.alert_type', "'|'",
        dbt.cast('ranked.first_detected_date', dbt.type_string())
    ])) }} as alert_id,
    ranked.account_id,
    ranked.alert_type,
    ranked.severity,
    ranked.was_ever_critical,
    ranked.first_detected_date,
    ranked.last_detected_date,
    cast(ranked.detected_days as integer) as detected_days,
    case when ranked.is_open then 'open' else 'closed' end as status,
    case
        when not ranked.is_open
            then cast({{ dbt.dateadd('day', 1, 'ranked.last_detected_date') }} as date)
    end as closed_date,
    ranked.evidence_metric,
    cast(ranked.evidence_value as {{ type_double() }}) as evidence_value,
    cast(ranked.evidence_compared_to as {{ type_double() }}) as evidence_compared_to,
    ranked.evidence_threshold,
    ranked.owner_csm_user_id,
    users.user_name as owner_csm_name,
    ranked.is_enabled,
    ranked.is_open and ranked.is_enabled as is_actionable,
    cast(ranked.arr_at_risk as decimal(18, 2)) as arr_at_risk,
    cast(ranked.priority_rank as integer) as priority_rank,
    coalesce(ranked.priority_rank <= {{ var('alert_daily_cap_per_csm') }}, false) as is_within_daily_cap
from ranked
left join users on ranked.owner_csm_user_id = users.user_id
