with

source as (
    select * from {{ source('crm', 'contract_items') }}
),

renamed as (
    select
        -- ids
        id as contract_item_id,
        contract_id,
        plan_id,

        -- dates
        start_date,
        end_date as last_active_date,
        cast({{ dbt.dateadd('day', 1, 'end_date') }} as date) as item_ends_on_date,

        -- amounts
        quantity as seats,
        amount as billing_period_amount

    from source
)

select * from renamed
