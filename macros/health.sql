{#- Account-health classification, one place for every model (docs/kpis.md "Account health and action"). -#}

{#- A component's raw value as 0 / 5 / 10 points, from the seed health_thresholds (its direction and two
    thresholds). A null value stays null so that the component drops out of the weighted average. -#}
{% macro health_component_points(value, direction, threshold_5, threshold_10) -%}
    case
        when {{ value }} is null then null
        when {{ direction }} = 'lower_is_better' then
            case
                when {{ value }} <= {{ threshold_10 }} then 10
                when {{ value }} <= {{ threshold_5 }} then 5
                else 0
            end
        else
            case
                when {{ value }} >= {{ threshold_10 }} then 10
                when {{ value }} >= {{ threshold_5 }} then 5
                else 0
            end
    end
{%- endmacro %}

{#- Health band of a 0-100 score: red < health_band_yellow_min <= yellow < health_band_green_min <= green. -#}
{% macro health_band(score) -%}
    case
        when {{ score }} is null then null
        when {{ score }} < {{ var('health_band_yellow_min') }} then 'red'
        when {{ score }} < {{ var('health_band_green_min') }} then 'yellow'
        else 'green'
    end
{%- endmacro %}

{#- The health components, in the order their columns appear. -#}
{% macro health_components() -%}
    {{ return(['usage_trend', 'active_user_share', 'feature_breadth', 'onboarding', 'nps', 'support_burden',
        'renewal_proximity']) }}
{%- endmacro %}

{#- The days a run of an account-day health model recomputes (models/intermediate/health), as one row:
    history_start_date (first day of product-event history), usage_load_id (the latest usage load seen),
    first_output_date (the first day the run writes) and first_spine_date (that day less `warmup_days`, the
    reach of the model's trailing windows). A full build writes from the history start; an incremental run
    from (its latest day - health_incremental_lookback_days), or from the earliest usage day that a load since
    its last run changed when that is earlier. Every such model stores `_usage_load_id`. The model passes
    its own is_incremental() (a unit test's override reaches the model, not this macro). -#}
{% macro health_recompute_bounds(incremental) -%}
    select
        history.history_start_date,
        history.usage_load_id,
        {% if incremental -%}
            coalesce(
                case
                    when changed_usage.first_changed_date < recomputed.lookback_date
                        then changed_usage.first_changed_date
                    else recomputed.lookback_date
                end,
                history.history_start_date
            )
        {%- else -%}
            history.history_start_date
        {%- endif %} as first_output_date
    from (
        select
            min(activity_date) as history_start_date,
            coalesce(max(_last_session_load_id), '') as usage_load_id
        from {{ ref('int_usage_user_daily') }}
    ) as history
    {%- if incremental %}
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
{%- endmacro %}

{#- The account-days a run of a health component writes: the spine's days with an active contract item, from
    the `bounds` CTE's first_output_date on (the model defines `bounds` from health_recompute_bounds), with
    account_id, score_date and the spine's `extra_columns`. -#}
{% macro health_active_days(extra_columns=[]) -%}
    select
        account_days.account_id,
        account_days.score_date
        {%- for column in extra_columns %},
        account_days.{{ column }}
        {%- endfor %}
    from {{ ref('int_health_account_days') }} as account_days
    cross join bounds
    where account_days.has_active_item and account_days.score_date >= bounds.first_output_date
{%- endmacro %}

{#- The bounds above with first_spine_date = first_output_date - warmup_days. -#}
{% macro health_recompute_spine_bounds(incremental, warmup_days) -%}
    select
        bounds.*,
        cast({{ dbt.dateadd('day', -warmup_days, 'bounds.first_output_date') }} as date) as first_spine_date
    from ({{ health_recompute_bounds(incremental) }}) as bounds
{%- endmacro %}

{#- The longest trailing window of the account-day health models, in days before the scored day. -#}
{% macro health_warmup_days() -%}
    {{ return([60, 7 * (var('alert_usage_baseline_last_week') | int) + 6, var('health_support_window_days') | int] | max) }}
{%- endmacro %}
