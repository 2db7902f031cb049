-- NPS component of account health, per account-day with an active contract item: the mean score over each
-- respondent's latest answer within health_nps_lookback_days (an answer counts from its day until the
-- respondent's next answer or the end of the lookback), the number of those respondents, and the latest and
-- lowest detractor answer (0-6) of the last alert_detractor_days days. Incremental by day (macro
-- health_recompute_bounds).

{{
    config(
        incremental_strategy=usage_incremental_strategy(),
        partition_by=usage_incremental_partition_by('score_date'),
        pre_hook="{{ planner_hash_joins() }}",
    )
}}

{%- set detractor_window = var('alert_detractor_days') | int %}
{%- set nps_window = var('health_nps_lookback_days') | int %}

with

bounds as (
    {{ health_recompute_bounds(is_incremental()) }}
),

active_days as (
    {{ health_active_days() }}
),

nps_answers as (
    select
        account_id,
        nps_score,
        responded_date,
        lead(responded_date) over (
            partition by coalesce(contact_id, response_id) order by responded_at, response_id
        ) as next_responded_date
    from {{ ref('stg_survey__nps_responses') }}
    where responded_date <= {{ as_of_date() }}
),

nps_spans as (
    select
        account_id,
        nps_score,
        responded_date,
        case
            when
                next_responded_date is not null
                and next_responded_date <= cast({{ dbt.dateadd('day', nps_window - 1, 'responded_date') }} as date)
                then cast({{ dbt.dateadd('day', -1, 'next_responded_date') }} as date)
            else cast({{ dbt.dateadd('day', nps_window - 1, 'responded_date') }} as date)
        end as counted_to_date
    from nps_answers
),

nps_days as (
    select
        active_days.account_id,
        active_days.score_date,
        cast(avg(nps_spans.nps_score) as {{ type_double() }}) as nps_avg_score,
        count(*) as nps_respondents
    from active_days
    inner join nps_spans
        on
            active_days.account_id = nps_spans.account_id
            and active_days.score_date between nps_spans.responded_date and nps_spans.counted_to_date
    group by active_days.account_id, active_days.score_date
),

detractor_days as (
    select
        active_days.account_id,
        active_days.score_date,
        max(nps_answers.responded_date) as latest_detractor_date,
        min(nps_answers.nps_score) as lowest_detractor_score
    from active_days
    inner join nps_answers
        on
            active_days.account_id = nps_answers.account_id
            and nps_answers.nps_score <= 6
            and active_days.score_date >= nps_answers.responded_date
            and active_days.score_date
            <= cast({{ dbt.dateadd('day', detractor_window - 1, 'nps_answers.responded_date') }} as date)
    group by active_days.account_id, active_days.score_date
)

select
    active_days.account_id,
    active_days.score_date,
    nps_days.nps_avg_score,
    coalesce(nps_days.nps_respondents, 0) as nps_respondents,
    detractor_days.latest_detractor_date,
    detractor_days.lowest_detractor_score,
    bounds.usage_load_id as _usage_load_id
from active_days
cross join bounds
left join nps_days
    on
        active_days.account_id = nps_days.account_id
        and active_days.score_date = nps_days.score_date
left join detractor_days
    on
        active_days.account_id = detractor_days.account_id
        and active_days.score_date = detractor_days.score_date
