-- CSM負荷 (docs/kpis.md "csm_workload"), one row per CSM-month of a book: the accounts a CSM owns at the month
-- start (mart_touch_coverage's owner) and their ARR by touch tier, completed activities the CSM owned, alert
-- episodes first detected in the month on the CSM's accounts and those acted on within the SLA, the median
-- response hours (censored episodes excluded), touch coverage of the book, churned and expanded ARR of the
-- book and its net revenue retention for the month (MRR at the end / MRR at the start of the accounts
-- paying at the start). Activity and alert columns are null without an activity log.

with

book as (
    select
        coverage.owner_csm_user_id as csm_user_id,
        coverage.month,
        coverage.account_id,
        coverage.touch_tier,
        coverage.is_covered,
        coverage.is_complete,
        tiers.arr_at_start,
        revenue.movement,
        coalesce(revenue.mrr_start, 0) as mrr_start,
        coalesce(revenue.mrr_end, 0) as mrr_end,
        coalesce(revenue.mrr_change, 0) as mrr_change
    from {{ ref('mart_touch_coverage') }} as coverage
    inner join {{ ref('mart_touch_tiers') }} as tiers
        on coverage.account_id = tiers.account_id and coverage.month = tiers.month
    left join {{ ref('int_revenue_account_months') }} as revenue
        on coverage.account_id = revenue.account_id and coverage.month = revenue.month_start_date
    where coverage.owner_csm_user_id is not null
),

book_months as (
    select
        csm_user_id,
        month,
        max(case when is_complete then 1 else 0 end) = 1 as is_complete,
        count(*) as accounts,  -- noqa: RF04
        sum(case when touch_tier = 'high_touch' then 1 else 0 end) as high_touch_accounts,
        sum(case when touch_tier = 'low_touch' then 1 else 0 end) as low_touch_accounts,
        sum(case when touch_tier = 'tech_touch' then 1 else 0 end) as tech_touch_accounts,
        sum(arr_at_start) as arr_at_start,
        sum(case when touch_tier = 'high_touch' then arr_at_start else 0 end) as high_touch_arr,
        sum(case when touch_tier = 'low_touch' then arr_at_start else 0 end) as low_touch_arr,
        sum(case when touch_tier = 'tech_touch' then arr_at_start else 0 end) as tech_touch_arr,
        count(is_covered) as accounts_with_activity_data,
        sum(case when is_covered then 1 else 0 end) as covered_accounts,
        sum(case when movement = 'churn' then mrr_start * 12 else 0 end) as churned_arr,
        sum(case when movement = 'expansion' then mrr_change * 12 else 0 end) as expanded_arr,
        sum(case when mrr_start > 0 then mrr_start else 0 end) as base_mrr_start,
        sum(case when mrr_start > 0 then mrr_end else 0 end) as base_mrr_end
    from book
    group by csm_user_id, month
),

activity_log as (
    select count(*) as activities from {{ ref('stg_crm__activities') }}
),

activities as (
    select
        owner_user_id as csm_user_id,
        cast({{ dbt.date_trunc('month', 'activity_date') }} as date) as month,
        count(*) as activities_completed
    from {{ ref('stg_crm__activities') }}
    where is_completed
    group by owner_user_id, cast({{ dbt.date_trunc('month', 'activity_date') }} as date)
),

alerts as (
    select
        owner_csm_user_id as csm_user_id,
        cast({{ dbt.date_trunc('month', 'first_detected_date') }} as date) as month,
        count(*) as alerts_raised,
        count(is_acted_within_sla) as alerts_sla_known,
        sum(case when is_acted_within_sla then 1 else 0 end) as alerts_acted_within_sla,
        percentile_cont(0.5) within group (order by response_hours) as median_response_hours
    from {{ ref('mart_alert_followup') }}
    where owner_csm_user_id is not null
    group by owner_csm_user_id, cast({{ dbt.date_trunc('month', 'first_detected_date') }} as date)
)

select
    book_months.csm_user_id,
    crm_users.user_name as csm_name,
    book_months.month,
    months.fiscal_year,
    months.fiscal_quarter,
    book_months.is_complete,
    cast(book_months.accounts as integer) as accounts,  -- noqa: RF04
    cast(book_months.high_touch_accounts as integer) as high_touch_accounts,
    cast(book_months.low_touch_accounts as integer) as low_touch_accounts,
    cast(book_months.tech_touch_accounts as integer) as tech_touch_accounts,
    cast(book_months.arr_at_start as decimal(18, 2)) as arr_at_start,
    cast(book_months.high_touch_arr as decimal(18, 2)) as high_touch_arr,
    cast(book_months.low_touch_arr as decimal(18, 2)) as low_touch_arr,
    cast(book_months.tech_touch_arr as decimal(18, 2)) as tech_touch_arr,
    case
        when activity_log.activities > 0 then cast(coalesce(activities.activities_completed, 0) as integer)
    end as activities_completed,
    cast(coalesce(alerts.alerts_raised, 0) as integer) as alerts_raised,
    case
        when activity_log.activities > 0 then cast(coalesce(alerts.alerts_acted_within_sla, 0) as integer)
    end as alerts_acted_within_sla,
    {{ safe_ratio('alerts.alerts_acted_within_sla', 'alerts.alerts_sla_known') }} as alert_action_rate,
    cast(alerts.median_response_hours as {{ type_double() }}) as median_response_hours,
    case
        when book_months.accounts_with_activity_data > 0 then cast(book_months.covered_accounts as integer)
    end as covered_accounts,
    case
        when book_months.accounts_with_activity_data > 0
            then {{ safe_ratio('book_months.covered_accounts', 'book_months.accounts') }}
    end as touch_coverage,
    cast(book_months.churned_arr as decimal(18, 2)) as churned_arr,
    cast(book_months.expanded_arr as decimal(18, 2)) as expanded_arr,
    {{ safe_ratio('book_months.base_mrr_end', 'book_months.base_mrr_start') }} as nrr_month
from book_months
cross join activity_log
inner join {{ ref('int_months') }} as months on book_months.month = months.month_start_date
left join activities on book_months.csm_user_id = activities.csm_user_id and book_months.month = activities.month
left join alerts on book_months.csm_user_id = alerts.csm_user_id and book_months.month = alerts.month
left join {{ ref('stg_crm__users') }} as crm_users on book_months.csm_user_id = crm_users.user_id
