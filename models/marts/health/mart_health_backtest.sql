-- ヘルススコア検証 (docs/kpis.md "health_backtest"): does the score predict churn? Each month, every account
-- scored on the month's first day is a snapshot; it is labelled churned when the account stopped paying
-- (the first day after its last paid item of a churn month) within health_backtest_horizon_days after the
-- snapshot. Per band: accounts, churned accounts and the churn rate. Per month: the AUC of the score for
-- that churn = the probability that a retained account scored higher than a churned one (ties count half),
-- from the rank-sum (Mann-Whitney) formula. 0.5 = no better than chance. Months whose horizon reaches past
-- the as-of day are not complete: their churn is still unknown.

{%- set horizon = var('health_backtest_horizon_days') %}

with

snapshots as (
    select
        account_id,
        score_date as snapshot_date,
        health_score,
        health_band
    from {{ ref('mart_health_score_daily') }}
    where
        score_date = cast({{ dbt.date_trunc('month', 'score_date') }} as date)
        and health_score is not null
),

churn_dates as (
    select
        account_id,
        churn_date
    from {{ ref('int_revenue_churn_dates') }}
),

labelled as (
    select
        snapshots.account_id,
        snapshots.snapshot_date,
        snapshots.health_score,
        snapshots.health_band,
        max(case when churn_dates.account_id is not null then 1 else 0 end) as is_churned
    from snapshots
    left join churn_dates
        on
            snapshots.account_id = churn_dates.account_id
            and snapshots.snapshot_date < churn_dates.churn_date
            and churn_dates.churn_date <= cast({{ dbt.dateadd('day', horizon, 'snapshots.snapshot_date') }} as date)
    group by snapshots.account_id, snapshots.snapshot_date, snapshots.health_score, snapshots.health_band
),

ranked as (
    select
        *,
        -- average rank of tied scores
        rank() over (partition by snapshot_date order by health_score)
        + (count(*) over (partition by snapshot_date, health_score) - 1) / 2.0 as score_rank
    from labelled
),

month_auc as (
    select
        snapshot_date,
        sum(is_churned) as churned,
        sum(1 - is_churned) as retained,
        sum(case when is_churned = 0 then score_rank else 0 end) as retained_rank_sum
    from ranked
    group by snapshot_date
),

bands as (
    select
        snapshot_date,
        health_band,
        count(*) as accounts,  -- noqa: RF04
        sum(is_churned) as churned_accounts,
        avg(health_score) as avg_health_score
    from labelled
    group by snapshot_date, health_band
)

select
    bands.snapshot_date as month,
    months.fiscal_year,
    months.fiscal_quarter,
    bands.health_band,
    case bands.health_band when 'red' then 1 when 'yellow' then 2 else 3 end as band_order,
    cast(bands.accounts as integer) as accounts,  -- noqa: RF04
    cast(bands.churned_accounts as integer) as churned_accounts,
    {{ safe_ratio('bands.churned_accounts', 'bands.accounts') }} as churn_rate,
    -- rounded: averages of doubles differ in the last bits with the engine's summation order
    cast({{ round_double('bands.avg_health_score', 10) }} as {{ type_double() }}) as avg_health_score,
    cast(month_auc.churned as integer) as month_churned_accounts,
    cast(month_auc.retained as integer) as month_retained_accounts,
    case
        when month_auc.churned > 0 and month_auc.retained > 0
            then cast(
                (month_auc.retained_rank_sum - month_auc.retained * (month_auc.retained + 1) / 2.0)
                / (month_auc.retained * month_auc.churned) as {{ type_double() }}
            )
    end as auc,
    cast({{ dbt.dateadd('day', horizon, 'bands.snapshot_date') }} as date) <= {{ as_of_date() }} as is_complete
from bands
inner join month_auc on bands.snapshot_date = month_auc.snapshot_date
inner join {{ ref('int_months') }} as months on bands.snapshot_date = months.month_start_date
