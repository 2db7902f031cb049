-- The CSM who owns each account over time, as periods from valid_from_date (inclusive, null = since the
-- beginning) to valid_to_date (exclusive, null = still): the CSM of the assignment covering a day, else the
-- account's CRM owner (before its first assignment, between two, after the last one ends, or throughout for an
-- account with none). The one rule of "the owner on a day": join with valid_on(..., open_start=true).

with

assignments as (
    select
        account_id,
        csm_user_id,
        start_date as valid_from_date,
        ends_on_date as valid_to_date,
        lag(ends_on_date) over (partition by account_id order by start_date) as previous_to_date,
        row_number() over (partition by account_id order by start_date) as number_from_first,
        row_number() over (partition by account_id order by start_date desc) as number_from_last
    from {{ ref('stg_crm__account_csm_assignments') }}
),

accounts as (
    select
        account_id,
        owner_user_id
    from {{ ref('stg_crm__accounts') }}
),

-- the days no assignment covers
gaps as (
    select
        account_id,
        cast(null as date) as valid_from_date,
        valid_from_date as valid_to_date
    from assignments
    where number_from_first = 1
    union all
    select
        account_id,
        previous_to_date as valid_from_date,
        valid_from_date as valid_to_date
    from assignments
    where previous_to_date < valid_from_date
    union all
    select
        account_id,
        valid_to_date as valid_from_date,
        cast(null as date) as valid_to_date
    from assignments
    where number_from_last = 1 and valid_to_date is not null
    union all
    select
        account_id,
        cast(null as date) as valid_from_date,
        cast(null as date) as valid_to_date
    from accounts
    where not exists (
        select 1 from assignments
        where assignments.account_id = accounts.account_id
    )
)

select
    account_id,
    csm_user_id,
    valid_from_date,
    valid_to_date,
    'assignment' as owner_source
from assignments
union all
select
    gaps.account_id,
    accounts.owner_user_id as csm_user_id,
    gaps.valid_from_date,
    gaps.valid_to_date,
    'crm_owner' as owner_source
from gaps
inner join accounts on gaps.account_id = accounts.account_id
