-- アラート後の結果 (docs/kpis.md "alert_outcome"): per alert type, acted flag (first completed activity within
-- the SLA) and quarter of first detection, the episodes whose outcome window has passed, the share whose
-- account churned within alert_outcome_churn_days and the share whose health band improved within
-- alert_outcome_band_days. Observational, not causal: CSMs choose which alerts to act on, so acted and not
-- acted episodes differ in more than the action. No rows without an activity log (acted is unknown).

with

episodes as (
    select * from {{ ref('mart_alert_followup') }}
    where is_outcome_complete and is_acted_within_sla is not null
),

grouped as (
    select
        alert_type,
        is_acted_within_sla as is_acted,
        detected_quarter,
        count(*) as episodes,
        count(distinct account_id) as accounts,  -- noqa: RF04
        sum(case when is_churned_90d then 1 else 0 end) as churned_episodes,
        sum(case when is_band_improved_30d is not null then 1 else 0 end) as band_known_episodes,
        sum(case when is_band_improved_30d then 1 else 0 end) as band_improved_episodes
    from episodes
    group by alert_type, is_acted_within_sla, detected_quarter
)

select
    alert_type,
    is_acted,
    detected_quarter,
    {{ fiscal_year('detected_quarter') }} as fiscal_year,
    {{ fiscal_quarter('detected_quarter') }} as fiscal_quarter,
    cast(episodes as integer) as episodes,
    cast(accounts as integer) as accounts,  -- noqa: RF04
    cast(churned_episodes as integer) as churned_episodes,
    {{ safe_ratio('churned_episodes', 'episodes') }} as churn_rate_90d,
    cast(band_known_episodes as integer) as band_known_episodes,
    cast(band_improved_episodes as integer) as band_improved_episodes,
    {{ safe_ratio('band_improved_episodes', 'band_known_episodes') }} as band_improved_rate_30d
from grouped
