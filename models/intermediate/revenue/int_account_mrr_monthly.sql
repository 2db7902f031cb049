-- Account x month MRR snapshot (docs/kpis.md "Month MRR snapshot") in the reporting currency. One row for
-- every month from the account's first contract item through the as-of month, so months at zero are explicit.

with

items as (
    select * from {{ ref('int_contract_items_enriched') }}
),

months as (
    select * from {{ ref('int_months') }}
),

active_items as (
    select * from {{ ref('int_active_items_monthly') }}
),

account_first_item as (
    select
        account_id,
        min(valid_from_date) as first_item_date
    from items
    group by account_id
),

account_months as (
    select
        account_first_item.account_id,
        months.month_start_date,
        months.month_end_date,
        months.snapshot_date
    from account_first_item
    inner join months
        on
            account_first_item.first_item_date <= months.month_end_date
            and months.month_start_date <= {{ as_of_date() }}
),

-- an item paid for at any point inside the month (for same-month churn)
paid_in_month as (
    select distinct
        account_months.account_id,
        account_months.month_start_date
    from account_months
    inner join items
        on
            account_months.account_id = items.account_id
            and items.monthly_amount > 0
            and account_months.month_end_date >= items.valid_from_date
            and (items.valid_to_date is null or account_months.month_start_date < items.valid_to_date)
),

mrr as (
    select
        account_id,
        month_start_date,
        -- a missing exchange rate makes the month's MRR null, which the not_null test turns into a failure
        case
            when count(*) > count(rate_to_reporting) then null
            else cast(round(sum(monthly_amount_reporting), 2) as decimal(18, 2))
        end as mrr,
        count(distinct case when monthly_amount > 0 then product_line_id end) as product_line_count,
        max(case when is_free_plan then 1 else 0 end) as has_free_item
    from active_items
    group by account_id, month_start_date
),

primary_plan as (
    -- the plan carrying the most MRR at the snapshot (ties: the higher tier, then the plan id)
    select
        account_id,
        month_start_date,
        plan_id
    from (
        select
            account_id,
            month_start_date,
            plan_id,
            row_number() over (
                partition by account_id, month_start_date
                order by monthly_amount_reporting desc, plan_tier_rank desc, plan_id asc
            ) as plan_rank
        from active_items
    ) as ranked
    where plan_rank = 1
)

select
    account_months.account_id,
    account_months.month_start_date,
    account_months.snapshot_date,
    primary_plan.plan_id,
    -- no active item: MRR 0; an active item without an exchange rate: null (a test failure)
    case when mrr.account_id is null then 0 else mrr.mrr end as mrr,
    coalesce(mrr.product_line_count, 0) as product_line_count,
    coalesce(mrr.has_free_item, 0) = 1 as has_free_plan_item,
    paid_in_month.account_id is not null as had_paid_item_in_month
from account_months
left join mrr
    on
        account_months.account_id = mrr.account_id
        and account_months.month_start_date = mrr.month_start_date
left join primary_plan
    on
        account_months.account_id = primary_plan.account_id
        and account_months.month_start_date = primary_plan.month_start_date
left join paid_in_month
    on
        account_months.account_id = paid_in_month.account_id
        and account_months.month_start_date = paid_in_month.month_start_date
