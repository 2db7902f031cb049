with

source as (
    select * from {{ source('crm', 'plans') }}
),

renamed as (
    select
        -- ids
        id as plan_id,
        product_line_id,

        -- attributes
        name as plan_name,
        tier_c as plan_tier,
        tier_rank_c as plan_tier_rank,

        -- amounts
        list_price_per_seat_jpy_c as list_price_per_seat_jpy,

        -- flags
        tier_c = 'free' as is_free_plan

    from source
)

select * from renamed
