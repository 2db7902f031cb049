-- One row per contract item with everything MRR needs: the account, the product line, the normalised
-- monthly amount in the contract currency and the half-open validity window [valid_from, valid_to).

with

items as (
    select * from {{ ref('stg_crm__contract_items') }}
),

contracts as (
    select * from {{ ref('stg_crm__contracts') }}
),

plans as (
    select * from {{ ref('stg_crm__plans') }}
),

enriched as (
    select
        -- ids
        items.contract_item_id,
        items.contract_id,
        contracts.account_id,
        items.plan_id,
        plans.product_line_id,

        -- attributes
        plans.plan_tier,
        plans.plan_tier_rank,
        plans.is_free_plan,
        contracts.billing_period,
        contracts.currency_code,
        items.seats,

        -- amounts: annual items count as amount / 12
        items.billing_period_amount,
        case
            when contracts.billing_period = 'annual' then items.billing_period_amount / 12.0
            else items.billing_period_amount
        end as monthly_amount,

        -- validity: an item ends at its own end or at its contract's end, whichever comes first
        items.start_date as valid_from_date,
        case
            when items.item_ends_on_date is null then contracts.ends_on_date
            when contracts.ends_on_date is null then items.item_ends_on_date
            when items.item_ends_on_date < contracts.ends_on_date then items.item_ends_on_date
            else contracts.ends_on_date
        end as valid_to_date

    from items
    inner join contracts on items.contract_id = contracts.contract_id
    inner join plans on items.plan_id = plans.plan_id
)

select * from enriched
