-- feature_breadth (docs/kpis.md): per account and month, distinct core features used in the trailing
-- window / core features on the account's plan. Only features the plan includes count on top, so the
-- share stays within 0..1.

select
    account_id,
    month_start_date,
    sum(case when is_core and is_feature_in_plan then 1 else 0 end) as core_features_available,
    sum(case when is_core and is_feature_in_plan and use_count > 0 then 1 else 0 end) as core_features_used,
    {{ safe_ratio(
        'sum(case when is_core and is_feature_in_plan and use_count > 0 then 1 else 0 end)',
        'sum(case when is_core and is_feature_in_plan then 1 else 0 end)'
    ) }} as feature_breadth
from {{ ref('int_usage_account_features_monthly') }}
group by account_id, month_start_date
