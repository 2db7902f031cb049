-- Planted generator effects as the revenue marts see them (run against a built warehouse, read-only):
--   .venv/bin/python -c "import duckdb,sys; c=duckdb.connect(sys.argv[1], read_only=True); \
--     print(c.sql(open('tests/kpi/planted_revenue_effects.sql').read()))" WAREHOUSE.duckdb
-- Monthly logo churn = churned / accounts in S(m), pooled over complete months, per trait group.
with

base as (
    select account_id, month, movement
    from marts.mart_mrr_movements
    where is_in_start_base and is_complete
),

first_contract as (
    select account_id, billing_period
    from (
        select account_id, billing_period,
               row_number() over (partition by account_id order by start_date, contract_id) as rn
        from staging.stg_crm__contracts
    ) as ranked
    where rn = 1
),

nps as (
    select account_id, avg(case when score <= 6 then 1.0 else 0.0 end) as detractor_share
    from raw.nps_responses
    group by account_id
),

tickets as (
    select organization_id as account_id, count(*) as tickets
    from raw.support_tickets
    group by organization_id
),

ticket_cut as (
    select quantile_cont(tickets, 0.85) as p85 from tickets
),

first_start as (
    select account_id, min(start_date) as first_start from staging.stg_crm__contracts group by account_id
),

onboarding as (
    select
        first_start.account_id,
        count(distinct case when e.event in ('Tutorial Finished', 'Report Created')
            and cast(timezone('Asia/Tokyo', e.timestamp) as date) < first_start.first_start + 30
            then e.event end) = 2 as onboarded
    from first_start
    left join raw.product_events as e on e.group_id = first_start.account_id
    group by first_start.account_id
),

traits as (
    select
        base.*,
        first_contract.billing_period,
        coalesce(nps.detractor_share >= 0.5, false) as is_detractor,
        coalesce(tickets.tickets, 0) >= (select p85 from ticket_cut) as is_high_ticket_burden,
        onboarding.onboarded
    from base
    left join first_contract using (account_id)
    left join nps using (account_id)
    left join tickets using (account_id)
    left join onboarding using (account_id)
)

select 'billing_period_of_first_contract' as effect, billing_period as grp, count(*) as account_months,
       sum(case when movement = 'churn' then 1 else 0 end) as churned,
       round(avg(case when movement = 'churn' then 1.0 else 0.0 end), 4) as monthly_logo_churn
from traits group by billing_period
union all
select 'nps_detractor (>=50% answers 0-6)', cast(is_detractor as varchar), count(*),
       sum(case when movement = 'churn' then 1 else 0 end),
       round(avg(case when movement = 'churn' then 1.0 else 0.0 end), 4)
from traits group by is_detractor
union all
select 'ticket_burden (top 15% ticket count)', cast(is_high_ticket_burden as varchar), count(*),
       sum(case when movement = 'churn' then 1 else 0 end),
       round(avg(case when movement = 'churn' then 1.0 else 0.0 end), 4)
from traits group by is_high_ticket_burden
union all
select 'onboarded within 30 days', cast(onboarded as varchar), count(*),
       sum(case when movement = 'churn' then 1 else 0 end),
       round(avg(case when movement = 'churn' then 1.0 else 0.0 end), 4)
from traits group by onboarded
order by 1, 2
