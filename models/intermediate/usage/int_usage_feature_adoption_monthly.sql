-- feature_adoption (docs/kpis.md): per feature and month, accounts that used the feature at least
-- var feature_adoption_min_uses times in the trailing window / active accounts whose plan includes it.
-- An account using a feature its plan lacks (a trial leftover, a downgrade) is in neither count.

select
    month_start_date,
    feature_code,
    sum(case when is_active_account and is_feature_in_plan then 1 else 0 end) as eligible_accounts,
    sum(case when is_active_account and is_feature_in_plan and is_adopted then 1 else 0 end) as adopting_accounts,
    {{ safe_ratio(
        'sum(case when is_active_account and is_feature_in_plan and is_adopted then 1 else 0 end)',
        'sum(case when is_active_account and is_feature_in_plan then 1 else 0 end)'
    ) }} as feature_adoption_rate
from {{ ref('int_usage_account_features_monthly') }}
group by month_start_date, feature_code
