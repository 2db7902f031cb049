-- Contract items active at each month's snapshot day (docs/kpis.md "Month MRR snapshot":
-- start <= day and (no end or end > day)), with the monthly amount in the reporting currency.
-- The single place the snapshot rule lives; account, product-line and plan views aggregate from here.

with

items as (
    select * from {{ ref('int_contract_items_enriched') }}
),

months as (
    select * from {{ ref('int_months') }}
),

fx_rates as (
    select * from {{ ref('int_fx_rate_periods') }}
),

active as (
    select
        items.account_id,
        months.month_start_date,
        months.snapshot_date,
        items.contract_item_id,
        items.contract_id,
        items.plan_id,
        items.product_line_id,
        items.plan_tier_rank,
        items.is_free_plan,
        items.seats,
        items.monthly_amount,
        fx_rates.rate_to_reporting,
        -- a missing rate leaves this null; the account-month MRR then turns null and fails its not_null test
        items.monthly_amount * fx_rates.rate_to_reporting as monthly_amount_reporting
    from items
    inner join months
        on
            {{ valid_on('items', 'months.snapshot_date') }}
            and months.month_start_date <= {{ as_of_date() }}
    left join fx_rates
        on
            items.currency_code = fx_rates.currency_code
            and {{ valid_on('fx_rates', 'months.snapshot_date') }}
)

select * from active
