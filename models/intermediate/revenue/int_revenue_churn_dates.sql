-- The days accounts stopped paying: per churn month of int_revenue_account_months, the day its last paid item
-- of that month ended (valid_to_date is exclusive: the first day unpaid). One row per churn. The churn label of
-- mart_health_backtest, mart_alert_type_backtest and mart_alert_followup.

with

churn_months as (
    select
        account_id,
        month_start_date
    from {{ ref('int_revenue_account_months') }}
    where movement = 'churn'
)

select
    churn_months.account_id,
    churn_months.month_start_date as churn_month,
    max(items.valid_to_date) as churn_date
from churn_months
inner join {{ ref('int_contract_items_enriched') }} as items
    on
        churn_months.account_id = items.account_id
        and items.monthly_amount > 0
        and churn_months.month_start_date < items.valid_to_date
        and items.valid_to_date <= cast({{ dbt.dateadd('month', 1, 'churn_months.month_start_date') }} as date)
group by churn_months.account_id, churn_months.month_start_date
