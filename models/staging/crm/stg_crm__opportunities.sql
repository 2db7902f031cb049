with

source as (
    select * from {{ source('crm', 'opportunities') }}
),

renamed as (
    select
        -- ids
        id as opportunity_id,
        account_id,
        owner_id as owner_user_id,

        -- attributes
        type as opportunity_type,
        stage_name as opportunity_stage,
        currency_iso_code as currency_code,

        -- amounts: the monthly amount the deal adds, in the opportunity currency
        amount as monthly_amount,

        -- dates
        close_date,
        created_date as created_at,

        -- flags
        stage_name in ('closed_won', 'closed_lost') as is_closed,
        stage_name = 'closed_won' as is_won

    from source
)

select * from renamed
