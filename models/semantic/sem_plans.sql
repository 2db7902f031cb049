-- The plans accounts are billed on, as a dimension table for the semantic layer: both the monthly
-- account rows (plan at the start of the month) and the NRR-12 base (plan twelve months earlier) join here,
-- so one `plan__plan_name` group-by serves every revenue metric.

with

movements as (
    select * from {{ ref('mart_mrr_movements') }}
    where plan_id is not null
)

select
    plan_id,
    max(plan_name) as plan_name,
    max(plan_tier) as plan_tier
from movements
group by plan_id
