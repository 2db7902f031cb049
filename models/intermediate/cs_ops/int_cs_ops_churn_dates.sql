-- The days accounts stopped paying: per churn month of int_revenue_account_months, the day after its last
-- paid item ended (as mart_health_backtest labels churn). One row per churn.

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
