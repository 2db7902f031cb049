-- The NRR-12 / GRR-12 base (docs/kpis.md "nrr_12m"): one row per month and account that had MRR > 0 at
-- the end of the month twelve months earlier, with both MRRs. Ratios of their sums are nrr_12m and grr_12m
-- of mart_kpi_monthly; the plan is the one the account had in the base month, so "NRR-12 by plan" reads
-- as "how much of the revenue on plan P a year ago is still here".

with

movements as (
    select * from {{ ref('mart_mrr_movements') }}
),

base as (
    select
        account_id,
        plan_id,
        mrr_end as mrr_base,
        cast({{ dbt.dateadd('month', 12, 'month') }} as date) as month
    from movements
    where mrr_end > 0
),

churned_in_window as (
    -- accounts that churned inside the twelve months and came back count only when the policy says so
    select distinct
        base.account_id,
        base.month
    from base
    inner join movements
        on
            base.account_id = movements.account_id
            and cast({{ dbt.dateadd('month', -12, 'base.month') }} as date) < movements.month
            and base.month >= movements.month
            and movements.movement = 'churn'
),

final as (
    select
        -- keys
        base.account_id || '|' || cast(base.month as {{ dbt.type_string() }}) as nrr_base_id,
        base.account_id,
        base.plan_id,

        -- dimensions
        base.month,
        coalesce(current_month.is_complete, false) as is_complete,

        -- amounts
        base.mrr_base,
        case
            when churned_in_window.account_id is not null and not {{ var('nrr_includes_reactivated') }} then 0
            else coalesce(current_month.mrr_end, 0)
        end as mrr_now
    from base
    inner join movements as current_month
        on base.account_id = current_month.account_id and base.month = current_month.month
    left join churned_in_window
        on base.account_id = churned_in_window.account_id and base.month = churned_in_window.month
)

select
    *,
    least(mrr_now, mrr_base) as mrr_retained_gross
from final
