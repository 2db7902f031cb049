with

source as (
    select * from {{ source('product', 'product_users') }}
),

renamed as (
    select
        -- ids
        user_id,
        account_id,
        contact_id,

        -- attributes (email is personal data: only a hash leaves staging)
        {{ dbt.hash('lower(email)') }} as email_hash,
        role as user_role,

        -- timestamps
        created_at as registered_at,
        deactivated_at,

        -- flags
        role in ('admin', 'champion') as is_key_user

    from source
)

select * from renamed
