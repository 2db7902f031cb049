with

source as (
    select * from {{ source('product', 'product_events') }}
),

renamed as (
    select
        -- ids
        message_id as event_id,
        user_id,
        group_id as account_id,
        session_id as sdk_session_id,

        -- attributes
        event as event_name,
        feature as feature_code,
        properties as properties_json,

        -- flags
        is_system as is_system_event,

        -- timestamps (UTC) and the reporting-zone day the event counts on
        {{ adapter.quote('timestamp') }} as occurred_at,
        received_at,
        cast({{ to_reporting_time(adapter.quote('timestamp')) }} as date) as activity_date,
        -- the landing day file the event arrived in, and the load that brought it: incremental models pick up
        -- new work by load (a load id begins with its UTC load time, so ids sort in load order), which also
        -- catches a backfill of day files older than the newest one
        _partition_date as received_partition_date,
        _load_id

    from source
)

select * from renamed
