-- early_signal_lift: 12-month retention of the top vs bottom quartile of each early-activity metric.
-- Correlation, not causation.

select
    month_start_date as month,
    metric_name,
    cast(account_count as integer) as account_count,
    cast(top_quartile_accounts as integer) as top_quartile_accounts,
    cast(bottom_quartile_accounts as integer) as bottom_quartile_accounts,
    cast(top_quartile_retention_rate as {{ type_double() }}) as top_quartile_retention_rate,
    cast(bottom_quartile_retention_rate as {{ type_double() }}) as bottom_quartile_retention_rate,
    cast(retention_rate_lift as {{ type_double() }}) as retention_rate_lift,
    cast(correlation_coefficient as {{ type_double() }}) as correlation_coefficient
from {{ ref('int_usage_early_signal_lift') }}
