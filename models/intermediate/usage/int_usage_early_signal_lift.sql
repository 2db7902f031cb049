-- early_signal_lift (docs/kpis.md), as of the as-of month: for each early-activity metric, the 12-month
-- retention (MRR > 0 in the month 12 months after the contract-start month) of the accounts in the top vs
-- the bottom quartile of the metric, and the correlation of the metric with retention. Only accounts whose
-- early window and 12-month outcome are both observed take part. For the yes/no onboarding metric the
-- "quartiles" are completed vs not completed. Correlation, not causation.

with

accounts as (
    select * from {{ ref('int_usage_early_activity') }}
    where is_window_complete
),

outcomes as (
    select
        accounts.*,
        case when mrr.mrr > 0 then 1 else 0 end as is_retained_12m
    from accounts
    inner join {{ ref('int_account_mrr_monthly') }} as mrr
        on
            accounts.account_id = mrr.account_id
            and mrr.month_start_date = cast({{ dbt.dateadd('month', 12, 'accounts.cohort_month') }} as date)
    where cast({{ dbt.dateadd('month', 12, 'accounts.cohort_month') }} as date) <= {{ as_of_date() }}
),

metric_values as (
    {% for metric in ['active_days', 'key_actions', 'active_users', 'features_used'] %}
        select
            '{{ metric }}' as metric_name,
            account_id,
            cast({{ metric }} as {{ type_double() }}) as metric_value,
            is_retained_12m,
            ntile(4) over (order by {{ metric }}, account_id) as quartile
        from outcomes
        union all
    {% endfor %}
    select
        'onboarding_completed' as metric_name,
        account_id,
        case when is_onboarding_completed then 1.0 else 0.0 end as metric_value,
        is_retained_12m,
        case when is_onboarding_completed then 4 else 1 end as quartile
    from outcomes
),

lift as (
    select
        metric_name,
        count(*) as account_count,
        sum(case when quartile = 4 then 1 else 0 end) as top_quartile_accounts,
        sum(case when quartile = 1 then 1 else 0 end) as bottom_quartile_accounts,
        {{ safe_ratio(
            'sum(case when quartile = 4 then is_retained_12m else 0 end)',
            'sum(case when quartile = 4 then 1 else 0 end)'
        ) }} as top_quartile_retention_rate,
        {{ safe_ratio(
            'sum(case when quartile = 1 then is_retained_12m else 0 end)',
            'sum(case when quartile = 1 then 1 else 0 end)'
        ) }} as bottom_quartile_retention_rate,
        {#- corr() sums in parallel in no fixed order; ten digits keep rebuilds bit-identical. -#}
        {{ round_double(
            'cast(corr(metric_value, is_retained_12m) as ' ~ type_double() ~ ')', 10
        ) }} as correlation_coefficient
    from metric_values
    group by metric_name
)

select
    cast({{ dbt.date_trunc('month', as_of_date()) }} as date) as month_start_date,
    metric_name,
    account_count,
    top_quartile_accounts,
    bottom_quartile_accounts,
    top_quartile_retention_rate,
    bottom_quartile_retention_rate,
    top_quartile_retention_rate - bottom_quartile_retention_rate as retention_rate_lift,
    correlation_coefficient
from lift
