-- Onboarding milestone versions as periods: a version is in force from its valid_from_date until the next
-- version's (valid_to_date, exclusive; null for the latest). The account and user milestone models pick the
-- version in force on their start day with macro valid_on.

with

versions as (
    select distinct
        milestone_version,
        valid_from_date
    from {{ ref('onboarding_milestones') }}
)

select
    milestone_version,
    valid_from_date,
    lead(valid_from_date) over (order by valid_from_date) as valid_to_date
from versions
