with

source as (
    select * from {{ source('crm', 'contacts') }}
),

renamed as (
    select
        -- ids
        id as contact_id,
        account_id,

        -- attributes (names and email are personal data: only a hash of the email leaves staging)
        {{ dbt.hash('lower(email)') }} as email_hash,
        title,
        contact_role_c as contact_role,

        -- timestamps
        created_date as created_at,

        -- flags
        contact_role_c in ('admin', 'champion') as is_key_contact

    from source
)

select * from renamed
