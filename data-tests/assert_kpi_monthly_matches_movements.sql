-- mart_kpi_monthly's bridge columns are the sums of mart_mrr_movements; fails with the months that differ.

with

movements as (
    select
        month,
        sum(mrr_start) as mrr_at_start,
        sum(mrr_end) as mrr,
        sum(case when movement = 'churn' then 1 else 0 end) as churned_accounts,
        sum(case when movement = 'churn' then mrr_start else 0 end) as churned_mrr
    from {{ ref('mart_mrr_movements') }}
    group by month
),

kpi as (
    select * from {{ ref('mart_kpi_monthly') }}
)

select
    kpi.month,
    kpi.mrr,
    movements.mrr as movements_mrr
from kpi
full outer join movements on kpi.month = movements.month
where
    kpi.month is null
    or movements.month is null
    or kpi.mrr <> movements.mrr
    or kpi.mrr_at_start <> movements.mrr_at_start
    or kpi.churned_accounts <> movements.churned_accounts
    or kpi.churned_mrr <> movements.churned_mrr
