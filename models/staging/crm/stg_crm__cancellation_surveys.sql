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

        -- answers (free text with e-mail addresses, phone numbers and names masked: macros/pii.sql)
        reason_code,
        {{ mask_free_text('free_text') }} as free_text,

        -- timestamps
        submitted_at

    from source
)

select * from renamed
