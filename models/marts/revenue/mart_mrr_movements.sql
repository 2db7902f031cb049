-- Public table (docs/kpis.md "Public tables"): one row per account x month with the MRR at the start
-- (end of the previous month) and end of the month, and the movement between them.

with

account_months as (
    select * from {{ ref('int_revenue_account_months') }}
),

plans as (
    select * from {{ ref('stg_crm__plans') }}
)

select
    -- keys
    account_months.account_id,
    account_months.month_start_date as month,

    -- calendar
    account_months.fiscal_year,
    account_months.fiscal_quarter,
    account_months.is_complete,

    -- plan at the end of the month (null when nothing is active)
    account_months.plan_id_end as plan_id,
    plans.plan_name,
    plans.plan_tier,

    -- amounts
    account_months.mrr_start,
    account_months.mrr_end,
    account_months.mrr_change,
    account_months.movement,
    account_months.is_same_month_churn,

    -- slices as of the start of the month
    account_months.segment,
    account_months.tenure_band_at_start as tenure_band,

    -- flags
    account_months.is_customer_start as is_in_start_base,
    account_months.is_upsell,
    account_months.is_cross_sell

from account_months
left join plans on account_months.plan_id_end = plans.plan_id
