-- アラート種別の精度 (docs/kpis.md "alert_type_backtest"): does an alert type foretell churn? Every episode of
-- mart_churn_risk_alerts whose horizon (health_backtest_horizon_days after its first detection) has passed by
-- the as-of day is labelled churned when the account stopped paying within the horizon, as the health backtest
-- labels its snapshots. Precision = churned episodes / episodes; the base rate is the health backtest's: the
-- share of all accounts scored on a month's first day that churned within the horizon (complete months);
-- lift = precision / base rate. A type whose lift is not above 1 tells a CSM nothing the base rate does not:
-- seed alert_type_policy switches it off. Every type of the seed has a row, episodes or not.

{%- set horizon = var('health_backtest_horizon_days') %}

with

episodes as (
    select
        account_id,
        alert_type,
        first_detected_date
    from {{ ref('mart_churn_risk_alerts') }}
    where cast({{ dbt.dateadd('day', horizon, 'first_detected_date') }} as date) <= {{ as_of_date() }}
),

churn_dates as (
    select
        account_id,
        churn_date
    from {{ ref('int_revenue_churn_dates') }}
),

labelled as (
    select
        episodes.account_id,
        episodes.alert_type,
        episodes.first_detected_date,
        max(case when churn_dates.account_id is not null then 1 else 0 end) as is_churned
    from episodes
    left join churn_dates
        on
            episodes.account_id = churn_dates.account_id
            and episodes.first_detected_date < churn_dates.churn_date
            and churn_dates.churn_date
            <= cast({{ dbt.dateadd('day', horizon, 'episodes.first_detected_date') }} as date)
    group by episodes.account_id, episodes.alert_type, episodes.first_detected_date
),

by_type as (
    select
        alert_type,
        count(*) as episodes,
        count(distinct account_id) as accounts,  -- noqa: RF04
        sum(is_churned) as churned_episodes,
        count(distinct case when is_churned = 1 then account_id end) as churned_accounts,
        min(first_detected_date) as first_detected_from,
        max(first_detected_date) as first_detected_to
    from labelled
    group by alert_type
),

base as (
    select
        sum(accounts) as snapshots,
        sum(churned_accounts) as churned_snapshots
    from {{ ref('mart_health_backtest') }}
    where is_complete
),

policy as (
    select * from {{ ref('alert_type_policy') }}
),

measured as (
    select
        policy.alert_type,
        policy.is_enabled,
        coalesce(by_type.episodes, 0) as episodes,
        coalesce(by_type.accounts, 0) as accounts,  -- noqa: RF04
        coalesce(by_type.churned_episodes, 0) as churned_episodes,
        coalesce(by_type.churned_accounts, 0) as churned_accounts,
        by_type.first_detected_from,
        by_type.first_detected_to,
        {{ safe_ratio('by_type.churned_episodes', 'by_type.episodes') }} as alert_precision,
        {{ safe_ratio('base.churned_snapshots', 'base.snapshots') }} as base_rate
    from policy
    cross join base
    left join by_type on policy.alert_type = by_type.alert_type
)

select
    alert_type,
    cast(episodes as integer) as episodes,
    cast(accounts as integer) as accounts,  -- noqa: RF04
    cast(churned_episodes as integer) as churned_episodes,
    cast(churned_accounts as integer) as churned_accounts,
    first_detected_from,
    first_detected_to,
    cast(alert_precision as {{ type_double() }}) as alert_precision,
    cast(base_rate as {{ type_double() }}) as base_rate,
    cast({{ safe_ratio('alert_precision', 'base_rate') }} as {{ type_double() }}) as lift,
    coalesce(alert_precision > base_rate, false) as beats_base_rate,
    is_enabled,
    {{ horizon }} as horizon_days
from measured
