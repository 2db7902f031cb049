-- Internal staff (CRM users): the CSM dimension. Names are kept (a CSM finds their accounts by name); the
-- e-mail address leaves staging only as a hash, as for product users.

with

source as (
    select * from {{ source('crm', 'users') }}
),

renamed as (
    select
        -- ids
        id as user_id,
        manager_id as manager_user_id,

        -- attributes (the e-mail is personal data: only a hash leaves staging)
        name as user_name,
        {{ dbt.hash('lower(email)') }} as email_hash,
        user_role,
        team as team_name,

        -- flags
        is_active,

        -- timestamps
        created_date as created_at

    from source
)

select
    renamed.user_id,
    renamed.user_name,
    renamed.email_hash,
    renamed.user_role,
    renamed.team_name,
    renamed.manager_user_id,
    managers.user_name as manager_name,
    renamed.is_active,
    renamed.created_at
from renamed
left join renamed as managers on renamed.manager_user_id = managers.user_id
