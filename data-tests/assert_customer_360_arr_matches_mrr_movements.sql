-- customer_360's ARR reconciles with the revenue marts: per account and in total, ARR = 12 x the MRR of
-- mart_mrr_movements' latest month; every account of that month is in customer_360, and an account outside
-- it has ARR 0. Returns the accounts (and the total) that disagree.

with

latest as (
    select
        movements.account_id,
        12 * movements.mrr_end as expected_arr
    from {{ ref('mart_mrr_movements') }} as movements
    where movements.month = (select max(all_months.month) from {{ ref('mart_mrr_movements') }} as all_months)
),

per_account as (
    select
        coalesce(c360.account_id, latest.account_id) as account_id,
        c360.arr as customer_360_arr,
        coalesce(latest.expected_arr, 0) as expected_arr
    from {{ ref('customer_360') }} as c360
    full outer join latest on c360.account_id = latest.account_id
),

total as (
    select
        'TOTAL' as account_id,
        sum(customer_360_arr) as customer_360_arr,
        sum(expected_arr) as expected_arr
    from per_account
)

select * from per_account
where customer_360_arr is null or customer_360_arr <> expected_arr
union all
select * from total
where customer_360_arr is null or customer_360_arr <> expected_arr
