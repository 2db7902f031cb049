-- The raw signals behind account health, per account and reporting-zone day on which the account has an
-- active contract item, from the first day of product-event history on. Trailing windows are rows frames
-- over a gap-free day spine per account (one row per calendar day), so "29 preceding" is 30 calendar days on
-- every engine. Everything here is as of the end of the day: a later event, answer or ticket never changes
-- an earlier day except through late arrival, which the incremental lookback covers.
--
-- Incremental by day (delete+insert on DuckDB/PostgreSQL, insert_overwrite of those day partitions on
-- Spark): a run recomputes the days from (latest scored day - health_incremental_lookback_days) on, or
-- from the earliest usage day that a load since the last run changed when that is earlier (a backfill of
-- old event days). `_usage_load_id` records the latest usage load each run saw. Every window reads its
-- source tables, never this table, so the result equals a full rebuild as long as CRM, ticket and survey
-- changes fall within the lookback.

{{
    config(
        materialized='incremental',
        unique_key=['account_id', 'score_date'],
        incremental_strategy=usage_incremental_strategy(),
        partition_by=usage_incremental_partition_by('score_date'),
        on_schema_change='fail',
        pre_hook="{{ planner_hash_joins() }}",
    )
}}

{%- set baseline_first = var('alert_usage_baseline_first_week') | int %}
{%- set baseline_last = var('alert_usage_baseline_last_week') | int %}
{%- set support_days = var('health_support_window_days') | int %}
{%- set feature_window = var('feature_window_days') | int %}
{%- set covers = "active_days.score_date >= spans.span_from_date and "
    ~ "(spans.span_to_date is null or active_days.score_date <= spans.span_to_date)" %}
{%- set urgent_window = var('alert_urgent_ticket_open_days') | int %}
{%- set detractor_window = var('alert_detractor_days') | int %}
{%- set nps_window = var('health_nps_lookback_days') | int %}
{#- days before the first recomputed day that the trailing windows reach back to -#}
{%- set warmup_days = [60, 7 * baseline_last + 6, support_days] | max %}

with

history as (
    select
        min(activity_date) as history_start_date,
        coalesce(max(_last_session_load_id), '') as usage_load_id
    from {{ ref('int_usage_user_daily') }}
),

bounds as (
    select
        history.history_start_date,
        {% if is_incremental() -%}
            coalesce(
                case
                    when changed_usage.first_changed_date < recomputed.lookback_date
                        then changed_usage.first_changed_date
                    else recomputed.lookback_date
                end,
                history.history_start_date
            ) as first_output_date
        {%- else -%}
            history.history_start_date as first_output_date
        {%- endif %}
    from history
    {%- if is_incremental() %}
        cross join (
            select
                cast({{ dbt.dateadd('day', -var('health_incremental_lookback_days'), 'max(score_date)') }} as date)
                    as lookback_date
            from {{ this }}
        ) as recomputed
        cross join (
            select min(user_daily.activity_date) as first_changed_date
            from {{ ref('int_usage_user_daily') }} as user_daily
            where user_daily._last_session_load_id > (select coalesce(max(_usage_load_id), '') from {{ this }})
        ) as changed_usage
    {%- endif %}
),

spine_bounds as (
    select
        history_start_date,
        first_output_date,
        cast({{ dbt.dateadd('day', -warmup_days, 'first_output_date') }} as date) as first_spine_date
    from bounds
),

offsets as (
    select cast(generated_number - 1 as integer) as day_offset
    from ({{ dbt.generate_series(31) }}) as series
),

days as (
    select cast({{ dbt.dateadd('day', 'offsets.day_offset', 'months.month_start_date') }} as date) as score_date
    from {{ ref('int_months') }} as months
    cross join offsets
    cross join spine_bounds
    where
        offsets.day_offset <= {{ dbt.datediff('months.month_start_date', 'months.month_end_date', 'day') }}
        and months.month_start_date <= {{ as_of_date() }}
        and months.month_end_date >= spine_bounds.first_spine_date
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

-- one row per account and calendar day from its first contract item (or the spine start) to the as-of day
spine as (
    select
        account_starts.account_id,
        days.score_date
    from account_starts
    cross join spine_bounds
    inner join days
        on
            account_starts.first_item_date <= days.score_date
            and spine_bounds.first_spine_date <= days.score_date
            and spine_bounds.history_start_date <= days.score_date
            and days.score_date <= {{ as_of_date() }}
),

usage_daily as (
    select
        account_id,
        activity_date,
        sum(active_event_count) as active_events
    from {{ ref('int_usage_user_daily') }}
    where activity_date <= {{ as_of_date() }}
    group by account_id, activity_date
),

tickets as (
    select
        ticket_id,
        account_id,
        ticket_priority,
        created_date,
        cast({{ to_reporting_time('solved_at') }} as date) as solved_date
    from {{ ref('stg_support__tickets') }}
),

tickets_daily as (
    select
        account_id,
        created_date,
        count(*) as tickets_opened
    from tickets
    group by account_id, created_date
),

windows as (
    select
        spine.account_id,
        spine.score_date,
        sum(coalesce(usage_daily.active_events, 0)) over (
            partition by spine.account_id order by spine.score_date rows between 6 preceding and current row
        ) as active_events_7d,
        sum(coalesce(usage_daily.active_events, 0)) over (
            partition by spine.account_id order by spine.score_date rows between 29 preceding and current row
        ) as active_events_30d,
        sum(coalesce(usage_daily.active_events, 0)) over (
            partition by spine.account_id order by spine.score_date rows between 59 preceding and 30 preceding
        ) as active_events_prior_30d,
        sum(coalesce(usage_daily.active_events, 0)) over (
            partition by spine.account_id order by spine.score_date
            rows between {{ 7 * baseline_last + 6 }} preceding and {{ 7 * baseline_first }} preceding
        ) as usage_baseline_events,
        sum(coalesce(tickets_daily.tickets_opened, 0)) over (
            partition by spine.account_id order by spine.score_date
            rows between {{ support_days - 1 }} preceding and current row
        ) as tickets_opened_window
    from spine
    left join usage_daily
        on
            spine.account_id = usage_daily.account_id
            and spine.score_date = usage_daily.activity_date
    left join tickets_daily
        on
            spine.account_id = tickets_daily.account_id
            and spine.score_date = tickets_daily.created_date
),

-- the days that are written: the account has an active contract item, on or after the first output day
active_days as (
    select
        windows.account_id,
        windows.score_date,
        max(items.seats) as licensed_seats,
        max(items.plan_tier_rank) as plan_tier_rank,
        max(case when items.monthly_amount > 0 then 1 else 0 end) = 1 as is_paying
    from windows
    cross join spine_bounds
    inner join items
        on
            windows.account_id = items.account_id
            and windows.score_date >= items.valid_from_date
            and (items.valid_to_date is null or windows.score_date < items.valid_to_date)
    where windows.score_date >= spine_bounds.first_output_date
    group by windows.account_id, windows.score_date
),

tier_names as (
    select distinct
        plan_tier_rank,
        plan_tier
    from {{ ref('stg_crm__plans') }}
),

-- a core feature counts on the days its use is within the trailing feature window; each use covers the days
-- up to the next use, so the spans of one account and feature never overlap
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
    where
        features.is_core
        and feature_daily.use_count > 0
        and feature_daily.activity_date <= {{ as_of_date() }}
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
),

nps_answers as (
    select
        account_id,
        nps_score,
        responded_date,
        lead(responded_date) over (
            partition by coalesce(contact_id, response_id) order by responded_at, response_id
        ) as next_responded_date
    from {{ ref('stg_survey__nps_responses') }}
    where responded_date <= {{ as_of_date() }}
),

-- each respondent's answer counts from its day until their next answer or the end of the lookback
nps_spans as (
    select
        account_id,
        nps_score,
        responded_date,
        case
            when
                next_responded_date is not null
                and next_responded_date <= cast({{ dbt.dateadd('day', nps_window - 1, 'responded_date') }} as date)
                then cast({{ dbt.dateadd('day', -1, 'next_responded_date') }} as date)
            else cast({{ dbt.dateadd('day', nps_window - 1, 'responded_date') }} as date)
        end as counted_to_date
    from nps_answers
),

nps_days as (
    select
        active_days.account_id,
        active_days.score_date,
        cast(avg(nps_spans.nps_score) as {{ type_double() }}) as nps_avg_score,
        count(*) as nps_respondents
    from active_days
    inner join nps_spans
        on
            active_days.account_id = nps_spans.account_id
            and active_days.score_date between nps_spans.responded_date and nps_spans.counted_to_date
    group by active_days.account_id, active_days.score_date
),

detractor_days as (
    select
        active_days.account_id,
        active_days.score_date,
        max(nps_answers.responded_date) as latest_detractor_date,
        min(nps_answers.nps_score) as lowest_detractor_score
    from active_days
    inner join nps_answers
        on
            active_days.account_id = nps_answers.account_id
            and nps_answers.nps_score <= 6
            and active_days.score_date >= nps_answers.responded_date
            and active_days.score_date
            <= cast({{ dbt.dateadd('day', detractor_window - 1, 'nps_answers.responded_date') }} as date)
    group by active_days.account_id, active_days.score_date
),

urgent_days as (
    select
        active_days.account_id,
        active_days.score_date,
        count(*) as overdue_urgent_tickets,
        max({{ dbt.datediff('tickets.created_date', 'active_days.score_date', 'day') }})
            as oldest_urgent_ticket_age_days
    from active_days
    inner join tickets
        on
            active_days.account_id = tickets.account_id
            and tickets.ticket_priority = 'urgent'
            and active_days.score_date
            > cast({{ dbt.dateadd('day', urgent_window, 'tickets.created_date') }} as date)
            and (tickets.solved_date is null or active_days.score_date < tickets.solved_date)
    group by active_days.account_id, active_days.score_date
),

fixed_terms as (
    select
        account_id,
        start_date,
        paid_through_date,
        cast({{ dbt.dateadd('day', 1, 'paid_through_date') }} as date) as renewal_date
    from {{ ref('stg_crm__contracts') }}
    where
        term_months >= {{ var('renewal_min_term_months') }}
        and paid_through_date is not null
),

renewal_days as (
    select
        active_days.account_id,
        active_days.score_date,
        min(fixed_terms.renewal_date) as next_renewal_date
    from active_days
    inner join fixed_terms
        on
            active_days.account_id = fixed_terms.account_id
            and active_days.score_date between fixed_terms.start_date and fixed_terms.paid_through_date
    group by active_days.account_id, active_days.score_date
),

onboarding as (
    select
        account_id,
        contract_start_date,
        cast({{ dbt.dateadd('day', var('onboarding_window_days'), 'contract_start_date') }} as date)
            as window_end_date,
        -- the day the last required milestone was reached, when all were reached inside the window
        case
            when
                sum(case when is_required and days_to_reach < {{ var('onboarding_window_days') }} then 1 else 0 end)
                = sum(case when is_required then 1 else 0 end)
                then cast({{ dbt.dateadd(
                    'day', 'max(case when is_required then days_to_reach end)', 'contract_start_date'
                ) }} as date)
        end as completed_date
    from {{ ref('int_usage_account_milestones') }}
    group by account_id, contract_start_date
),

final as (
    select
        active_days.account_id,
        active_days.score_date,
        active_days.is_paying,
        active_days.licensed_seats,
        tier_names.plan_tier,

        -- usage volume (active events) and its ratios
        windows.active_events_7d,
        windows.active_events_30d,
        windows.active_events_prior_30d,
        cast(windows.usage_baseline_events as {{ type_double() }})
        / {{ baseline_last - baseline_first + 1 }} as usage_baseline_weekly_events,
        {{ safe_ratio(
            'windows.active_events_7d',
            'cast(windows.usage_baseline_events as ' ~ type_double() ~ ') / ' ~ (baseline_last - baseline_first + 1)
        ) }} as usage_ratio_7d,
        {{ safe_ratio('windows.active_events_30d', 'windows.active_events_prior_30d') }} as usage_trend,

        -- users and seats
        coalesce(active_users.mau, 0) as active_users_30d,
        {{ safe_ratio('coalesce(active_users.mau, 0)', 'active_days.licensed_seats') }} as active_user_share,

        -- features
        coalesce(features_available.core_features_available, 0) as core_features_available,
        coalesce(features_used.core_features_used_30d, 0) as core_features_used_30d,
        {{ safe_ratio(
            'coalesce(features_used.core_features_used_30d, 0)',
            'coalesce(features_available.core_features_available, 0)'
        ) }} as feature_breadth,

        -- onboarding: null for accounts that started before the event history (not measurable)
        case
            when onboarding.account_id is null or active_days.score_date < onboarding.contract_start_date then null
            when onboarding.completed_date <= active_days.score_date then 'completed'
            when active_days.score_date >= onboarding.window_end_date then 'missed'
            else 'in_progress'
        end as onboarding_status,

        -- voice of the customer
        nps_days.nps_avg_score,
        coalesce(nps_days.nps_respondents, 0) as nps_respondents,
        detractor_days.latest_detractor_date,
        detractor_days.lowest_detractor_score,

        -- support
        windows.tickets_opened_window,
        coalesce(urgent_days.overdue_urgent_tickets, 0) as overdue_urgent_tickets,
        urgent_days.oldest_urgent_ticket_age_days,

        -- renewal
        renewal_days.next_renewal_date,
        {{ dbt.datediff('active_days.score_date', 'renewal_days.next_renewal_date', 'day') }} as days_to_renewal,  -- noqa: LT05

        -- key users (admins and champions)
        coalesce(key_user_status.key_users, 0) as key_users,
        coalesce(key_user_status.inactive_key_users, 0) as inactive_key_users,
        key_user_status.max_key_user_inactive_days
    from active_days
    inner join windows
        on
            active_days.account_id = windows.account_id
            and active_days.score_date = windows.score_date
    left join tier_names on active_days.plan_tier_rank = tier_names.plan_tier_rank
    left join {{ ref('int_usage_active_users_daily') }} as active_users
        on
            active_days.account_id = active_users.account_id
            and active_days.score_date = active_users.report_date
    left join features_available
        on
            active_days.account_id = features_available.account_id
            and active_days.score_date = features_available.score_date
    left join features_used
        on
            active_days.account_id = features_used.account_id
            and active_days.score_date = features_used.score_date
    left join onboarding on active_days.account_id = onboarding.account_id
    left join nps_days
        on
            active_days.account_id = nps_days.account_id
            and active_days.score_date = nps_days.score_date
    left join detractor_days
        on
            active_days.account_id = detractor_days.account_id
            and active_days.score_date = detractor_days.score_date
    left join urgent_days
        on
            active_days.account_id = urgent_days.account_id
            and active_days.score_date = urgent_days.score_date
    left join renewal_days
        on
            active_days.account_id = renewal_days.account_id
            and active_days.score_date = renewal_days.score_date
    left join key_user_status
        on
            active_days.account_id = key_user_status.account_id
            and active_days.score_date = key_user_status.score_date
)

select
    final.*,
    history.usage_load_id as _usage_load_id
from final
cross join history
