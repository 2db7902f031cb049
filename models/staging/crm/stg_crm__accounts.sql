with

source as (
    select * from {{ source('crm', 'accounts') }}
),

renamed as (
    select
        -- ids
        id as account_id,
        parent_id as parent_account_id,
        owner_id as owner_user_id,

        -- attributes
        name as account_name,
        industry,
        billing_state as prefecture,
        number_of_employees as employee_count,
        segment_c as segment,

        -- timestamps
        created_date as created_at

    from source
)

select * from renamed
