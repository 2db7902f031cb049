-- One row per fixed-term contract whose term has ended by the as-of day: was it renewed? (docs/kpis.md
-- "renewal_rate"). A contract is renewed when the same account has another contract starting after this
-- one started and no later than renewal_grace_days after its last paid day, or when it is still active
-- (it renewed in place). Rolling contracts (term < renewal_min_term_months) are never due: a multi-year
-- contract is due once, at the end of its whole term, because paid_through_date is the term end.

with

contracts as (
    select * from {{ ref('stg_crm__contracts') }}
),

items as (
    select * from {{ ref('int_contract_items_enriched') }}
),

fx_rates as (
    select * from {{ ref('int_fx_rate_periods') }}
),

due as (
    select
        contract_id,
        account_id,
        start_date,
        paid_through_date,
        term_months,
        billing_period,
        contract_status,
        cast({{ dbt.date_trunc('month', 'paid_through_date') }} as date) as due_month
    from contracts
    where
        term_months >= {{ var('renewal_min_term_months') }}
        and paid_through_date is not null
        and paid_through_date <= {{ as_of_date() }}
),

-- a contract's MRR on a given day: its items active that day, in the reporting currency
item_values as (
    select
        items.contract_id,
        items.valid_from_date,
        items.valid_to_date,
        items.monthly_amount * fx_rates.rate_to_reporting as monthly_amount_reporting,
        fx_rates.valid_from_date as fx_from_date,
        fx_rates.valid_to_date as fx_to_date
    from items
    left join fx_rates on items.currency_code = fx_rates.currency_code
),

expiring_value as (
    select
        due.contract_id,
        sum(item_values.monthly_amount_reporting) as expiring_mrr
    from due
    inner join item_values
        on
            due.contract_id = item_values.contract_id
            and {{ valid_on('item_values', 'due.paid_through_date') }}
            and {{ valid_on('item_values', 'due.paid_through_date', 'fx_from_date', 'fx_to_date') }}
    group by due.contract_id
),

successor_candidates as (
    select
        due.contract_id,
        successor.contract_id as successor_contract_id,
        successor.start_date as successor_start_date,
        row_number() over (
            partition by due.contract_id order by successor.start_date, successor.contract_id
        ) as successor_rank
    from due
    inner join contracts as successor
        on
            due.account_id = successor.account_id
            and due.contract_id <> successor.contract_id
            and due.start_date < successor.start_date
            and {{ dbt.datediff('due.paid_through_date', 'successor.start_date', 'day') }}
            <= {{ var('renewal_grace_days') }}
),

successor_value as (
    select
        successor_candidates.contract_id,
        successor_candidates.successor_contract_id,
        sum(item_values.monthly_amount_reporting) as successor_mrr
    from successor_candidates
    inner join item_values
        on
            successor_candidates.successor_contract_id = item_values.contract_id
            and successor_candidates.successor_start_date >= item_values.valid_from_date
            and (
                item_values.valid_to_date is null
                or successor_candidates.successor_start_date < item_values.valid_to_date
            )
            and successor_candidates.successor_start_date >= item_values.fx_from_date
            and (
                item_values.fx_to_date is null
                or successor_candidates.successor_start_date < item_values.fx_to_date
            )
    where successor_candidates.successor_rank = 1
    group by successor_candidates.contract_id, successor_candidates.successor_contract_id
)

select
    due.contract_id,
    due.account_id,
    due.due_month,
    due.paid_through_date,
    due.term_months,
    due.billing_period,
    successor_value.successor_contract_id,
    -- the decision is only known once the grace window has passed
    {{ dbt.datediff('due.paid_through_date', as_of_date(), 'day') }} >= {{ var('renewal_grace_days') }}  -- noqa: LT05
    or successor_value.successor_contract_id is not null
    or due.contract_status = 'active' as is_decided,
    successor_value.successor_contract_id is not null or due.contract_status = 'active' as is_renewed,
    cast(coalesce(expiring_value.expiring_mrr, 0) as decimal(18, 2)) as expiring_mrr,
    cast(case
        when successor_value.successor_contract_id is not null then coalesce(successor_value.successor_mrr, 0)
        when due.contract_status = 'active' then coalesce(expiring_value.expiring_mrr, 0)
        else 0
    end as decimal(18, 2)) as renewed_mrr
from due
left join expiring_value on due.contract_id = expiring_value.contract_id
left join successor_value on due.contract_id = successor_value.contract_id
