with

source as (
    select * from {{ source('crm', 'account_csm_assignments') }}
),

renamed as (
    select
        -- ids
        id as assignment_id,
        account_id,
        user_id as csm_user_id,

        -- dates: half-open [start, end)
        start_date,
        end_date as ends_on_date

    from source
)

select * from renamed
