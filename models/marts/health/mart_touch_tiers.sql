-- タッチモデル (docs/kpis.md "touch_tier"): the touch tier of every account-month, assigned as of the first
-- day of the month, with the values it was assigned from and the tier of the month before.

with

tiers as (
    select * from {{ ref('int_health_touch_tiers') }}
),

months as (
    select * from {{ ref('int_months') }}
)

select
    tiers.account_id,
    tiers.month_start_date as month,
    months.fiscal_year,
    months.fiscal_quarter,
    tiers.segment,
    tiers.tier_basis,
    tiers.touch_tier,
    tiers.touch_tier_name_ja,
    tiers.tier_rank,
    lag(tiers.touch_tier) over (partition by tiers.account_id order by tiers.month_start_date) as previous_touch_tier,
    cast(tiers.mrr_start as decimal(18, 2)) as mrr_at_start,
    tiers.arr_at_start,
    tiers.ltv_at_start,
    cast(tiers.churn_rate_at_start as {{ type_double() }}) as churn_rate_at_start
from tiers
inner join months on tiers.month_start_date = months.month_start_date
