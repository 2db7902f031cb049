-- Account x month rows the monthly revenue metrics add up: the movement amounts of mart_mrr_movements
-- split into one column per movement, with the plan and tenure as of the start of the month
-- (docs/kpis.md: churn by plan and tenure takes both at the month start). Summed over all accounts they
-- equal the columns of mart_kpi_monthly.

with

movements as (
    select * from {{ ref('mart_mrr_movements') }}
),

with_start_plan as (
    select
        *,
        -- plan_id is the plan at the end of the month; the start-of-month plan is last month's
        lag(plan_id) over (partition by account_id order by month) as start_plan_id
    from movements
),

final as (
    select
        -- keys
        account_id || '|' || cast(month as {{ dbt.type_string() }}) as account_month_id,
        account_id,
        start_plan_id as plan_id,

        -- dimensions
        month,
        is_complete,
        segment,
        tenure_band,
        movement,

        -- MRR snapshot
        mrr_start,
        mrr_end,
        case when mrr_end > 0 then 1 else 0 end as is_paying,

        -- the start-of-month base S(m)
        case when is_in_start_base then 1 else 0 end as is_in_start_base,
        case when is_in_start_base then mrr_start else 0 end as base_mrr_start,

        -- movements, each as a positive amount
        case when movement = 'new' then mrr_change else 0 end as new_mrr,
        case when movement = 'reactivation' then mrr_change else 0 end as reactivation_mrr,
        case when movement = 'expansion' then mrr_change else 0 end as expansion_mrr,
        case when movement = 'contraction' then -mrr_change else 0 end as contraction_mrr,
        case when movement = 'churn' then -mrr_change else 0 end as churned_mrr,
        case when movement = 'new' then 1 else 0 end as is_new,
        case when movement = 'churn' and is_in_start_base then 1 else 0 end as is_churned,
        case when is_same_month_churn then 1 else 0 end as is_same_month_churn,
        case when is_upsell and is_in_start_base then 1 else 0 end as is_upsell,
        case when is_cross_sell and is_in_start_base then 1 else 0 end as is_cross_sell
    from with_start_plan
)

select * from final
