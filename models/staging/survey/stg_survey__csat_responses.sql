with

source as (
    select * from {{ source('survey', 'csat_responses') }}
),

renamed as (
    select
        -- ids
        response_id,
        account_id,
        contact_id,
        ticket_id,

        -- answer
        touchpoint,
        cast(score as integer) as csat_score,

        -- timestamps (UTC) and the reporting-zone day of the answer
        responded_at,
        cast({{ to_reporting_time('responded_at') }} as date) as responded_date

    from source
)

select * from renamed
