-- Public table (KPI_SPEC.md "Public tables"): one row per account x month with the MRR at the start
-- (end of the previous month) and end of the month, and the movement between them.

with

account_mrr as (
    select * from {{ ref('int_account_mrr_monthly') }}
),

months as (
    select * from {{ ref('int_months') }}
),

plans as (
    select * from {{ ref('stg_crm__plans') }}
),

with_history as (
    select
        account_id,
        month_start_date,
        plan_id,
        mrr as mrr_end,
        coalesce(
            lag(mrr) over (partition by account_id order by month_start_date), 0
        ) as mrr_start,
        had_paid_item_in_month,
        -- paid at some earlier month end, or inside an earlier month (a same-month churner who returns)
        coalesce(max(case when mrr > 0 or had_paid_item_in_month then 1 else 0 end) over (
            partition by account_id order by month_start_date
            rows between unbounded preceding and 1 preceding
        ), 0) = 1 as has_paid_before
    from account_mrr
),

classified as (
    select
        *,
        {{ mrr_movement('mrr_start', 'mrr_end', 'has_paid_before') }} as movement
    from with_history
)

select
    -- keys
    classified.account_id,
    classified.month_start_date as month,

    -- calendar
    months.fiscal_year,
    months.fiscal_quarter,
    months.is_complete,

    -- plan at the end of the month (null when nothing is active)
    classified.plan_id,
    plans.plan_name,
    plans.plan_tier,

    -- amounts
    classified.mrr_start,
    classified.mrr_end,
    cast(classified.mrr_end - classified.mrr_start as decimal(18, 2)) as mrr_change,
    classified.movement,
    classified.mrr_start = 0 and classified.mrr_end = 0 and classified.had_paid_item_in_month as is_same_month_churn

from classified
inner join months on classified.month_start_date = months.month_start_date
left join plans on classified.plan_id = plans.plan_id
