-- Customer retention (docs/kpis.md "customer_retention_rate") by calendar month, fiscal quarter and fiscal
-- year: (customers at the end - customers at the end who were not customers at the start) / customers at
-- the start. An account that left and came back inside the period counts as retained.

with

account_months as (
    select * from {{ ref('int_revenue_account_months') }}
),

months as (
    select * from {{ ref('int_months') }}
    where month_start_date <= {{ as_of_date() }}
),

month_periods as (
    select
        'month' as period_type,
        month_start_date,
        month_start_date as period_start_date,
        fiscal_year,
        fiscal_quarter,
        1 as period_months,
        is_complete
    from months
    union all
    select
        'fiscal_quarter' as period_type,
        month_start_date,
        min(month_start_date) over (partition by fiscal_year, fiscal_quarter) as period_start_date,
        fiscal_year,
        fiscal_quarter,
        3 as period_months,
        is_complete
    from months
    union all
    select
        'fiscal_year' as period_type,
        month_start_date,
        min(month_start_date) over (partition by fiscal_year) as period_start_date,
        fiscal_year,
        cast(null as integer) as fiscal_quarter,
        12 as period_months,
        is_complete
    from months
),

periods as (
    select
        period_type,
        period_start_date,
        fiscal_year,
        fiscal_quarter,
        max(month_start_date) as last_month_start_date,
        -- a period cut by the spine start or the as-of day is incomplete
        count(*) = max(period_months) and min(case when is_complete then 1 else 0 end) = 1 as is_complete
    from month_periods
    group by period_type, period_start_date, fiscal_year, fiscal_quarter
),

per_account as (
    select
        periods.period_type,
        periods.period_start_date,
        account_months.account_id,
        max(
            case
                when
                    account_months.month_start_date = periods.period_start_date
                    and account_months.is_customer_start then 1
                else 0
            end
        ) as was_customer_at_start,
        max(
            case
                when
                    account_months.month_start_date = periods.last_month_start_date
                    and account_months.is_customer_end then 1
                else 0
            end
        ) as is_customer_at_end
    from periods
    inner join account_months
        on account_months.month_start_date in (periods.period_start_date, periods.last_month_start_date)
    group by periods.period_type, periods.period_start_date, account_months.account_id
),

counted as (
    select
        period_type,
        period_start_date,
        sum(was_customer_at_start) as accounts_at_start,
        sum(is_customer_at_end) as accounts_at_end,
        sum(case when is_customer_at_end = 1 and was_customer_at_start = 0 then 1 else 0 end) as new_accounts,
        sum(case when is_customer_at_end = 1 and was_customer_at_start = 1 then 1 else 0 end) as retained_accounts
    from per_account
    group by period_type, period_start_date
)

select
    periods.period_type,
    periods.period_start_date as period_start_month,
    periods.last_month_start_date as period_end_month,
    periods.fiscal_year,
    periods.fiscal_quarter,
    periods.is_complete,
    cast(coalesce(counted.accounts_at_start, 0) as integer) as accounts_at_start,
    cast(coalesce(counted.accounts_at_end, 0) as integer) as accounts_at_end,
    cast(coalesce(counted.new_accounts, 0) as integer) as new_accounts,
    cast(coalesce(counted.retained_accounts, 0) as integer) as retained_accounts,
    case
        when periods.is_complete then
            {{ safe_ratio('counted.accounts_at_end - counted.new_accounts', 'counted.accounts_at_start') }}
    end as customer_retention_rate
from periods
left join counted
    on
        periods.period_type = counted.period_type
        and periods.period_start_date = counted.period_start_date
where counted.period_start_date is not null
