with

source as (
    select * from {{ source('survey', 'nps_responses') }}
),

renamed as (
    select
        -- ids
        response_id,
        account_id,
        contact_id,

        -- answer (the comment with e-mail addresses, phone numbers and names masked: macros/pii.sql)
        cast(score as integer) as nps_score,
        {{ mask_free_text('comment') }} as nps_comment,

        -- timestamps (UTC) and the reporting-zone day of the answer
        responded_at,
        cast({{ to_reporting_time('responded_at') }} as date) as responded_date

    from source
)

select * from renamed
