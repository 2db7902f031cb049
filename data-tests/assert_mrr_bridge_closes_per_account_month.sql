-- Every MRR change of every account-month is explained by exactly one movement, so summing the
-- movements month by month closes the bridge to the cent. Fails with the months where it does not.

with

movements as (
    select * from {{ ref('mart_mrr_movements') }}
),

bridge as (
    select
        month,
        sum(mrr_start) as mrr_start,
        sum(mrr_end) as mrr_end,
        sum(case when movement in ('new', 'reactivation', 'expansion') then mrr_change else 0 end) as gained,
        sum(case when movement in ('contraction', 'churn') then -mrr_change else 0 end) as lost,
        -- a change that no movement explains would hide here
        sum(case when movement is null or movement = 'unchanged' then abs(mrr_change) else 0 end) as unexplained
    from movements
    group by month
)

select *
from bridge
where mrr_end <> mrr_start + gained - lost or unexplained <> 0
