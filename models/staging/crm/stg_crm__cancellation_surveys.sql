with

source as (
    select * from {{ source('crm', 'cancellation_surveys') }}
),

renamed as (
    select
        -- ids
        id as cancellation_survey_id,
        account_id,
        contract_id,

        -- answers
        reason_code,
        free_text,

        -- timestamps
        submitted_at

    from source
)

select * from renamed
