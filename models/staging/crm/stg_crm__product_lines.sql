with

source as (
    select * from {{ source('crm', 'product_lines') }}
),

renamed as (
    select
        id as product_line_id,
        name as product_line_name,
        name_ja_c as product_line_name_ja
    from source
)

select * from renamed
