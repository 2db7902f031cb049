-- Account x product line x month: the line's MRR, seats and best tier at the snapshot, beside the same at
-- the previous snapshot. Upsell (a line the account already paid for grew) and cross-sell (a paid line the
-- account did not have at the start of the month) are read from here.

with

active_items as (
    select * from {{ ref('int_active_items_monthly') }}
),

lines as (
    select
        account_id,
        month_start_date,
        product_line_id,
        cast(round(sum(monthly_amount_reporting), 2) as decimal(18, 2)) as line_mrr,
        sum(seats) as seats,
        max(plan_tier_rank) as max_plan_tier_rank
    from active_items
    group by account_id, month_start_date, product_line_id
),

line_months as (
    -- both months a line could be compared in: the month it is active and the month after
    select
        account_id,
        month_start_date,
        product_line_id
    from lines
    union
    select
        account_id,
        cast({{ dbt.dateadd('month', 1, 'month_start_date') }} as date) as month_start_date,
        product_line_id
    from lines
)

select
    line_months.account_id,
    line_months.month_start_date,
    line_months.product_line_id,
    coalesce(previous_month.line_mrr, 0) as line_mrr_start,
    coalesce(this_month.line_mrr, 0) as line_mrr_end,
    coalesce(previous_month.seats, 0) as seats_start,
    coalesce(this_month.seats, 0) as seats_end,
    previous_month.max_plan_tier_rank as plan_tier_rank_start,
    this_month.max_plan_tier_rank as plan_tier_rank_end,
    coalesce(previous_month.line_mrr, 0) > 0 and coalesce(this_month.line_mrr, 0) > previous_month.line_mrr
        as is_upsell,
    coalesce(previous_month.line_mrr, 0) = 0 and coalesce(this_month.line_mrr, 0) > 0 as is_cross_sell_line
from line_months
left join lines as this_month
    on
        line_months.account_id = this_month.account_id
        and line_months.month_start_date = this_month.month_start_date
        and line_months.product_line_id = this_month.product_line_id
left join lines as previous_month
    on
        line_months.account_id = previous_month.account_id
        and line_months.month_start_date
        = cast({{ dbt.dateadd('month', 1, 'previous_month.month_start_date') }} as date)
        and line_months.product_line_id = previous_month.product_line_id
where line_months.month_start_date <= {{ as_of_date() }}
