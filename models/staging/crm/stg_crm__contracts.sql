with

source as (
    select * from {{ source('crm', 'contracts') }}
),

renamed as (
    select
        -- ids
        id as contract_id,
        account_id,
        previous_contract_id_c as previous_contract_id,
        contract_number,

        -- dates
        start_date,
        end_date as paid_through_date,
        cancellation_date_c as cancellation_requested_date,

        -- attributes
        contract_term as term_months,
        billing_period_c as billing_period,
        status as contract_status,
        currency_iso_code as currency_code,

        -- An active contract renews automatically, so its paid-through date is not an end. Every other
        -- status ends the day after the paid-through date: churn is recognised at the end of the paid
        -- period (a cancelled contract stays `pending_cancellation` until then).
        case
            when status = 'active' then null
            else {{ dbt.dateadd('day', 1, 'end_date') }}
        end as ends_on_date

    from source
)

select
    contract_id,
    account_id,
    previous_contract_id,
    contract_number,
    start_date,
    paid_through_date,
    cancellation_requested_date,
    cast(ends_on_date as date) as ends_on_date,
    term_months,
    billing_period,
    contract_status,
    currency_code
from renamed
