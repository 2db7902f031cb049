with

source as (
    select * from {{ source('crm', 'activities') }}
),

renamed as (
    select
        -- ids (the Subject is free text that names people: personal data, not staged)
        id as activity_id,
        account_id,
        who_id as contact_id,
        owner_id as owner_user_id,
        related_alert_id_c as related_alert_id,

        -- attributes
        type as activity_type,
        status as activity_status,
        duration_minutes,

        -- flags
        status = 'completed' as is_completed,

        -- timestamps (UTC) and the reporting-zone day
        activity_date_time as activity_at,
        cast({{ to_reporting_time('activity_date_time') }} as date) as activity_date

    from source
)

select * from renamed
