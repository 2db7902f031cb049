-- Account x month: MRR at both ends, the movement, and what the month's KPIs slice by, all as of the start
-- of the month (plan, tenure band) unless named _end. The base of every revenue mart.

with

account_mrr as (
    select * from {{ ref('int_account_mrr_monthly') }}
),

months as (
    select * from {{ ref('int_months') }}
),

accounts as (
    select * from {{ ref('stg_crm__accounts') }}
),

product_lines as (
    select
        account_id,
        month_start_date,
        max(case when is_upsell then 1 else 0 end) = 1 as has_upsell,
        max(case when is_cross_sell_line then 1 else 0 end) = 1 as has_cross_sell
    from {{ ref('int_account_product_line_monthly') }}
    group by account_id, month_start_date
),

with_history as (
    select
        account_id,
        month_start_date,
        plan_id as plan_id_end,
        lag(plan_id) over (partition by account_id order by month_start_date) as plan_id_start,
        mrr as mrr_end,
        coalesce(lag(mrr) over (partition by account_id order by month_start_date), 0) as mrr_start,
        has_free_plan_item as has_free_plan_item_end,
        had_paid_item_in_month,
        product_line_count,
        -- paid at some earlier month end, or inside an earlier month (a same-month churner who returns)
        coalesce(max(case when mrr > 0 or had_paid_item_in_month then 1 else 0 end) over (
            partition by account_id order by month_start_date
            rows between unbounded preceding and 1 preceding
        ), 0) = 1 as has_paid_before,
        -- paid at an earlier month end: a former payer now on a free plan (free_plan_is_churn = false)
        coalesce(max(case when mrr > 0 then 1 else 0 end) over (
            partition by account_id order by month_start_date
            rows between unbounded preceding and 1 preceding
        ), 0) = 1 as had_mrr_before,
        min(case when mrr > 0 then month_start_date end) over (partition by account_id) as first_paid_month
    from account_mrr
),

customer_end as (
    select
        *,
        -- free_plan_is_churn = false keeps a former payer on a free plan a customer (MRR 0, not churned)
        mrr_end > 0
        {%- if not var('free_plan_is_churn') %}
            or (has_free_plan_item_end and had_mrr_before)
        {%- endif %} as is_customer_end
    from with_history
),

customer_flags as (
    select
        *,
        coalesce(
            lag(is_customer_end) over (partition by account_id order by month_start_date), false
        ) as is_customer_start
    from customer_end
),

classified as (
    select
        *,
        {{ mrr_movement('mrr_start', 'mrr_end', 'has_paid_before', 'is_customer_start', 'is_customer_end') }}
            as movement,
        case
            when first_paid_month < month_start_date
                then {{ dbt.datediff('first_paid_month', 'month_start_date', 'month') }}
        end as tenure_months_at_start
    from customer_flags
)

select
    -- keys
    classified.account_id,
    classified.month_start_date,

    -- calendar
    months.fiscal_year,
    months.fiscal_quarter,
    months.is_complete,

    -- slices (as of the start of the month unless _end)
    accounts.segment,
    classified.plan_id_start,
    classified.plan_id_end,
    classified.first_paid_month,
    classified.tenure_months_at_start,
    {{ tenure_band('classified.tenure_months_at_start') }} as tenure_band_at_start,
    {{ tenure_band_order('classified.tenure_months_at_start') }} as tenure_band_order_at_start,

    -- amounts
    classified.mrr_start,
    classified.mrr_end,
    cast(classified.mrr_end - classified.mrr_start as decimal(18, 2)) as mrr_change,

    -- classification
    classified.movement,
    classified.is_customer_start,
    classified.is_customer_end,
    classified.has_paid_before,
    classified.mrr_start = 0 and classified.mrr_end = 0 and classified.had_paid_item_in_month
    and not classified.is_customer_start as is_same_month_churn,
    classified.is_customer_start and coalesce(product_lines.has_upsell, false) as is_upsell,
    classified.is_customer_start and coalesce(product_lines.has_cross_sell, false) as is_cross_sell,
    classified.product_line_count

from classified
inner join months on classified.month_start_date = months.month_start_date
left join accounts on classified.account_id = accounts.account_id
left join product_lines
    on
        classified.account_id = product_lines.account_id
        and classified.month_start_date = product_lines.month_start_date
