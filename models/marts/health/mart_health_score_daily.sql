-- ヘルススコア (docs/kpis.md "health_score"): per account and day, each component's raw value, its 0/5/10
-- points (seed health_thresholds, macro health_component_points), its weight for the account's touch tier
-- of that month (seed health_weights) and its contribution to the score; the score
-- 10 x sum(weight x points) / sum(weight) over the components with a value; its band; and the change vs
-- 30 days earlier.
--
-- Incremental by day like int_health_signals_daily: the same trailing days are recomputed each run (and
-- from the earliest day the latest usage load changed, after a backfill), and the score of 30 days earlier
-- comes from this table for days before them, so a run equals a full rebuild.

{{
    config(
        materialized='incremental',
        unique_key=['account_id', 'score_date'],
        incremental_strategy=usage_incremental_strategy(),
        partition_by=usage_incremental_partition_by('score_date'),
        on_schema_change='fail',
    )
}}

{%- set components = health_components() %}
{%- set value_of = {
    'usage_trend': 'usage_trend',
    'active_user_share': 'active_user_share',
    'feature_breadth': 'feature_breadth',
    'onboarding': "case onboarding_status when 'completed' then 1.0 when 'in_progress' then 0.5 when 'missed' then 0.0 end",
    'nps': 'nps_avg_score',
    'support_burden': 'tickets_opened_window',
    'renewal_proximity': 'days_to_renewal',
} %}

with

{% if is_incremental() -%}
    recompute as (
        -- the lookback, or the earliest signal day the latest usage load changed when that is earlier
        select
            case
                when changed.first_changed_date < own.lookback_date then changed.first_changed_date
                else own.lookback_date
            end as first_output_date
        from (
            select
                cast({{ dbt.dateadd('day', -var('health_incremental_lookback_days'), 'max(score_date)') }} as date)
                    as lookback_date
            from {{ this }}
        ) as own
        cross join (
            select min(score_date) as first_changed_date
            from {{ ref('int_health_signals_daily') }}
            where _usage_load_id = (select max(_usage_load_id) from {{ ref('int_health_signals_daily') }})
        ) as changed
    ),
{%- endif %}

signals as (
    select signals.*
    from {{ ref('int_health_signals_daily') }} as signals
    {%- if is_incremental() %}
        cross join recompute
        where recompute.first_output_date is null or signals.score_date >= recompute.first_output_date
    {%- endif %}
),

tiers as (
    select
        account_id,
        month_start_date,
        touch_tier
    from {{ ref('int_health_touch_tiers') }}
),

signals_with_tier as (
    select
        signals.*,
        -- an account-day outside the revenue history (no tier row) is scored as the least personal tier
        coalesce(tiers.touch_tier, 'tech_touch') as touch_tier
    from signals
    left join tiers
        on
            signals.account_id = tiers.account_id
            and cast({{ dbt.date_trunc('month', 'signals.score_date') }} as date) = tiers.month_start_date
),

component_values as (
    {%- for component in components %}
        select
            account_id,
            score_date,
            touch_tier,
            '{{ component }}' as component,
            cast({{ value_of[component] }} as {{ type_double() }}) as component_value
        from signals_with_tier
        {%- if not loop.last %}
            union all
        {%- endif %}
    {%- endfor %}
),

pointed as (
    select
        component_values.account_id,
        component_values.score_date,
        component_values.touch_tier,
        component_values.component,
        component_values.component_value,
        {{ health_component_points(
            'component_values.component_value',
            'thresholds.direction',
            'thresholds.threshold_5',
            'thresholds.threshold_10'
        ) }} as component_points,
        coalesce(weights.weight, 0) as component_weight
    from component_values
    left join {{ ref('health_thresholds') }} as thresholds
        on component_values.component = thresholds.component
    left join {{ ref('health_weights') }} as weights
        on
            component_values.touch_tier = weights.touch_tier
            and component_values.component = weights.component
),

weighted as (
    select
        *,
        -- only components with a value share the weight
        sum(case when component_points is not null then component_weight else 0 end) over (
            partition by account_id, score_date
        ) as scored_weight
    from pointed
),

scores as (
    select
        account_id,
        score_date,
        max(touch_tier) as touch_tier,
        case
            when max(scored_weight) > 0
                then {{ round_double(
                    '10.0 * sum(case when component_points is not null then component_weight * component_points end)'
                    ~ ' / max(scored_weight)',
                    2
                ) }}
        end as health_score,
        sum(case when component_points is not null and component_weight > 0 then 1 else 0 end) as components_scored,
    {%- for component in components %}
        max(case when component = '{{ component }}' then component_value end) as {{ component }}_value,
        max(case when component = '{{ component }}' then component_points end) as {{ component }}_points,
        max(case when component = '{{ component }}' then component_weight end) as {{ component }}_weight,
        max(case
            when component = '{{ component }}' and component_points is not null and scored_weight > 0
                then {{ round_double('10.0 * component_weight * component_points / scored_weight', 2) }}
            end) as {{ component }}_contribution{{ ',' if not loop.last }}  -- noqa: LT02
    {%- endfor %}
    from weighted
    group by account_id, score_date
),

earlier_scores as (
    select
        account_id,
        score_date,
        health_score
    from scores
    {%- if is_incremental() %}
        union all
        select
            previous.account_id,
            previous.score_date,
            previous.health_score
        from {{ this }} as previous
        cross join recompute
        where previous.score_date < recompute.first_output_date
    {%- endif %}
)

select
    scores.account_id,
    scores.score_date,
    scores.touch_tier,
    cast(scores.health_score as {{ type_double() }}) as health_score,
    {{ health_band('scores.health_score') }} as health_band,
    cast(earlier_scores.health_score as {{ type_double() }}) as health_score_30d_ago,
    {{ health_band('earlier_scores.health_score') }} as health_band_30d_ago,
    cast(scores.health_score - earlier_scores.health_score as {{ type_double() }}) as health_score_change_30d,
    cast(scores.components_scored as integer) as components_scored,
{%- for component in components %}
    scores.{{ component }}_value,
    cast(scores.{{ component }}_points as integer) as {{ component }}_points,
    cast(scores.{{ component }}_weight as {{ type_double() }}) as {{ component }}_weight,
    cast(scores.{{ component }}_contribution as {{ type_double() }}) as {{ component }}_contribution
    {{- ',' if not loop.last }}
{%- endfor %}
from scores
left join earlier_scores
    on
        scores.account_id = earlier_scores.account_id
        and cast({{ dbt.dateadd('day', -30, 'scores.score_date') }} as date) = earlier_scores.score_date
