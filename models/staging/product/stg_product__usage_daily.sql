-- Daily usage counts per contract and feature, from sources that export aggregates instead of events
-- (optional export: empty for a source with an event log). Kept apart from the event-based usage models.

with

source as (
    select * from {{ source('product', 'product_usage_daily') }}
),

renamed as (
    select
        -- ids
        usage_id,
        contract_id,
        feature as feature_code,

        -- dates (a day in the reporting time zone)
        usage_date,

        -- measures
        usage_count,
        usage_duration_secs as usage_duration_seconds,
        error_count,

        -- flags
        is_beta_feature

    from source
)

select * from renamed
