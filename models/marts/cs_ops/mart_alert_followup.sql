-- アラート初動 (docs/kpis.md "alert_response_hours", "alert_action_rate", "alert_outcome"): one row per
-- churn-risk alert episode with the first completed activity on its account by anyone after the episode
-- was detected, the hours to it, whether that was within the SLA, and what happened to the account after.
-- Detection time = the start of the day after the first detection day in the reporting zone (the night the
-- build saw the day's data). No activity within alert_followup_window_days = not acted, its response time
-- censored (null, never 0). A source without an activity log gives null follow-up columns ("no data").

{%- set window_days = var('alert_followup_window_days') %}
{%- set churn_days = var('alert_outcome_churn_days') %}
{%- set band_days = var('alert_outcome_band_days') %}

with

alerts as (
    select
        alert_id,
        account_id,
        alert_type,
        severity,
        was_ever_critical,
        owner_csm_user_id,
        owner_csm_name,
        first_detected_date
    from {{ ref('mart_churn_risk_alerts') }}
),

activity_log as (
    select count(*) as activities from {{ ref('stg_crm__activities') }}
),

activities as (
    select
        activity_id,
        account_id,
        activity_type,
        owner_user_id,
        cast({{ to_reporting_time('activity_at') }} as timestamp) as activity_local_at
    from {{ ref('stg_crm__activities') }}
    where is_completed
),

sla as (
    select * from {{ ref('alert_followup_sla') }}
),

detected as (
    select
        alerts.*,
        case when alerts.was_ever_critical then 'critical' else 'warning' end as sla_severity,
        cast({{ dbt.dateadd('day', 1, 'alerts.first_detected_date') }} as timestamp) as detected_at,
        cast({{ dbt.dateadd('day', window_days + 1, 'alerts.first_detected_date') }} as timestamp) as window_end_at,
        -- the end of the as-of day: what is known
        cast({{ dbt.dateadd('day', 1, as_of_date()) }} as timestamp) as known_until_at
    from alerts
),

ranked as (
    select
        detected.alert_id,
        activities.activity_id,
        activities.activity_type,
        activities.owner_user_id,
        activities.activity_local_at,
        row_number() over (
            partition by detected.alert_id order by activities.activity_local_at, activities.activity_id
        ) as activity_rank
    from detected
    inner join activities
        on
            detected.account_id = activities.account_id
            and detected.detected_at <= activities.activity_local_at
            and detected.window_end_at > activities.activity_local_at
),

first_activity as (
    select * from ranked
    where activity_rank = 1
),

churned as (
    select
        detected.alert_id,
        min(churn_dates.churn_date) as churn_date
    from detected
    inner join {{ ref('int_revenue_churn_dates') }} as churn_dates
        on
            detected.account_id = churn_dates.account_id
            and detected.first_detected_date < churn_dates.churn_date
            and churn_dates.churn_date
            <= cast({{ dbt.dateadd('day', churn_days, 'detected.first_detected_date') }} as date)
    group by detected.alert_id
),

band_order as (
    select
        account_id,
        score_date,
        case health_band when 'red' then 1 when 'yellow' then 2 when 'green' then 3 end as band_rank
    from {{ ref('mart_health_score_daily') }}
    where health_band is not null
),

bands as (
    select
        detected.alert_id,
        max(case when band_order.score_date = detected.first_detected_date then band_order.band_rank end)
            as band_rank_at_detection,
        max(case when band_order.score_date > detected.first_detected_date then band_order.band_rank end)
            as best_band_rank_after
    from detected
    inner join band_order
        on
            detected.account_id = band_order.account_id
            and detected.first_detected_date <= band_order.score_date
            and band_order.score_date
            <= cast({{ dbt.dateadd('day', band_days, 'detected.first_detected_date') }} as date)
    group by detected.alert_id
),

joined as (
    select
        detected.*,
        sla.sla_hours,
        first_activity.activity_id as first_activity_id,
        first_activity.activity_type as first_activity_type,
        first_activity.owner_user_id as first_activity_owner_user_id,
        first_activity.activity_local_at as first_activity_at,
        cast(
            {{ dbt.datediff('detected.detected_at', 'first_activity.activity_local_at', 'second') }}
            as {{ type_double() }}
        ) / 3600.0 as hours_to_activity,
        activity_log.activities > 0 as has_activity_log,
        churned.churn_date,
        bands.band_rank_at_detection,
        bands.best_band_rank_after
    from detected
    cross join activity_log
    inner join sla on detected.sla_severity = sla.severity
    left join first_activity on detected.alert_id = first_activity.alert_id
    left join churned on detected.alert_id = churned.alert_id
    left join bands on detected.alert_id = bands.alert_id
)

select
    alert_id,
    account_id,
    alert_type,
    severity,
    sla_severity,
    owner_csm_user_id,
    owner_csm_name,
    first_detected_date,
    cast({{ dbt.date_trunc('quarter', 'first_detected_date') }} as date) as detected_quarter,
    detected_at,
    cast(sla_hours as integer) as sla_hours,
    first_activity_id,
    first_activity_type,
    first_activity_owner_user_id,
    first_activity_at,
    cast(hours_to_activity as {{ type_double() }}) as response_hours,
    case
        when not has_activity_log then null
        when first_activity_id is not null then 'acted'
        when window_end_at <= known_until_at then 'not_acted'
        else 'pending'
    end as followup_status,
    case
        when not has_activity_log then null
        when first_activity_id is not null then true
        when window_end_at <= known_until_at then false
    end as is_acted,
    case
        when not has_activity_log then null
        when first_activity_id is not null then hours_to_activity <= sla_hours
        when cast({{ dbt.dateadd('hour', 'sla_hours', 'detected_at') }} as timestamp) <= known_until_at then false
    end as is_acted_within_sla,
    case
        when not has_activity_log then null
        else first_activity_id is null and window_end_at <= known_until_at
    end as is_censored,
    cast({{ dbt.dateadd('day', churn_days, 'first_detected_date') }} as date) <= {{ as_of_date() }}
        as is_outcome_complete,
    case
        when churn_date is not null then true
        when cast({{ dbt.dateadd('day', churn_days, 'first_detected_date') }} as date) <= {{ as_of_date() }} then false
    end as is_churned_90d,
    churn_date,
    case band_rank_at_detection when 1 then 'red' when 2 then 'yellow' when 3 then 'green' end
        as health_band_at_detection,
    case
        when band_rank_at_detection is null then null
        when best_band_rank_after > band_rank_at_detection then true
        when cast({{ dbt.dateadd('day', band_days, 'first_detected_date') }} as date) <= {{ as_of_date() }} then false
    end as is_band_improved_30d
from joined
