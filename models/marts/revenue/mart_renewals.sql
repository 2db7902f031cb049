-- Renewal rate by the month the contract term ends (docs/kpis.md "renewal_rate"), logo and amount.

with

renewals as (
    select * from {{ ref('int_contract_renewals') }}
),

months as (
    select * from {{ ref('int_months') }}
),

grouped as (
    select
        due_month,
        count(*) as contracts_due,
        sum(case when is_renewed then 1 else 0 end) as contracts_renewed,
        sum(case when is_decided then 0 else 1 end) as contracts_undecided,
        sum(expiring_mrr) as expiring_mrr,
        sum(renewed_mrr) as renewed_mrr
    from renewals
    group by due_month
)

select
    grouped.due_month as month,
    months.fiscal_year,
    months.fiscal_quarter,
    -- complete once the month is over and every contract due in it is past its grace window
    months.is_complete and grouped.contracts_undecided = 0 as is_complete,
    cast(grouped.contracts_due as integer) as contracts_due,
    cast(grouped.contracts_renewed as integer) as contracts_renewed,
    cast(grouped.contracts_undecided as integer) as contracts_undecided,
    cast(grouped.expiring_mrr as decimal(18, 2)) as expiring_mrr,
    cast(grouped.renewed_mrr as decimal(18, 2)) as renewed_mrr,
    case
        when months.is_complete and grouped.contracts_undecided = 0
            then cast(grouped.contracts_renewed as {{ type_double() }}) / grouped.contracts_due
    end as renewal_rate_logo,
    case
        when months.is_complete and grouped.contracts_undecided = 0
            then {{ safe_ratio('grouped.renewed_mrr', 'grouped.expiring_mrr') }}
    end as renewal_rate_amount
from grouped
inner join months on grouped.due_month = months.month_start_date
