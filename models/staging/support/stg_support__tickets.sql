with

source as (
    select * from {{ source('support', 'support_tickets') }}
),

renamed as (
    select
        -- ids
        id as ticket_id,
        organization_id as account_id,
        requester_id as contact_id,

        -- attributes (the subject is free text typed by customers, masked like every free text (macros/pii.sql):
        -- kept for reading, not for joins)
        status as ticket_status,
        priority as ticket_priority,
        {{ mask_free_text('subject') }} as ticket_subject,

        -- flags
        is_escalated,
        status in ('solved', 'closed') as is_solved,

        -- timestamps (UTC) and the reporting-zone day the ticket was opened
        created_at,
        first_response_at,
        solved_at,
        cast({{ to_reporting_time('created_at') }} as date) as created_date

    from source
)

select * from renamed
