"""Suites for the public marts (docs/kpis.md, "Public tables"), one function per mart.

Critical = a number BI must not show (broken keys, impossible values, a bridge or reconciliation that
does not hold); warning = worth a look (row count jumped, data older than expected). Reconciliations are
SQL parts: DuckDB computes one small row per month (or per account), GX validates those rows, and the
failing months are the sample in the check metadata.

One checker per rule: what a mart's yml states as a dbt test or a contract constraint (keys, not-nulls,
accepted values) is checked by dbt alone and not repeated here; the suites hold what dbt does not check:
ranges, the MRR bridge and the reconciliations between marts, row-count drift and freshness.
"""

from __future__ import annotations

from cs_warehouse.quality.spec import CRITICAL, WARNING, Expect, Freshness, Part, RowCountBounds, Suite, gxe, table

MARTS = "marts"
TENURE_BANDS = ("0-3", "4-6", "7-12", "13-24", "25+")
# Amounts are decimal(18, 2); a gap between two of them counts as zero within half a cent.
AMOUNT_TOLERANCE = 0.005


def _zero(column: str, tolerance: float = 0.0, severity=CRITICAL) -> Expect:
    return gxe.ExpectColumnValuesToBeBetween(
        column=column, min_value=-tolerance, max_value=tolerance, severity=severity
    )


def _rate(column: str, severity=CRITICAL) -> Expect:
    """A fraction (0.0427, not 4.27); null allowed (incomplete months, empty bases)."""
    return gxe.ExpectColumnValuesToBeBetween(column=column, min_value=0, max_value=1, severity=severity)


def mart_mrr_movements() -> Suite:
    """One row per account × month; the MRR bridge must hold exactly every month."""
    rel = f"{MARTS}.mart_mrr_movements"
    rows = Part(
        name="table",
        sql=table(MARTS, "mart_mrr_movements"),
        keys=("account_id", "month"),
        row_count=RowCountBounds(min_ratio=0.95, max_ratio=1.5),
        freshness=Freshness("month", max_age_days=62),
        expectations=[
            gxe.ExpectColumnValuesToBeBetween(column="mrr_start", min_value=0, severity=CRITICAL),
            gxe.ExpectColumnValuesToBeBetween(column="mrr_end", min_value=0, severity=CRITICAL),
            gxe.ExpectColumnValuesToBeBetween(column="fiscal_quarter", min_value=1, max_value=4, severity=CRITICAL),
            gxe.ExpectColumnValuesToNotBeNull(column="is_complete", severity=CRITICAL),
            gxe.ExpectTableRowCountToBeBetween(min_value=1, severity=CRITICAL),
        ],
    )
    # Each row's movement follows from its two amounts (new and reactivation both start from zero; which
    # one depends on history, checked by dbt unit tests).
    movement_rules = Part(
        name="movement_rules",
        keys=("account_id", "month"),
        sql=f"""
            select account_id, month, movement, mrr_start, mrr_end,
                case
                    when mrr_start = 0 and mrr_end > 0 then movement in ('new', 'reactivation')
                    when mrr_start > 0 and mrr_end = 0 then movement = 'churn'
                    when mrr_start > 0 and mrr_end > mrr_start then movement = 'expansion'
                    when mrr_end > 0 and mrr_end < mrr_start then movement = 'contraction'
                    when mrr_start > 0 and mrr_end = mrr_start then movement = 'unchanged'
                    else movement is null
                end as movement_follows_amounts
            from {rel}""",
        expectations=[
            gxe.ExpectColumnValuesToBeInSet(column="movement_follows_amounts", value_set=[True], severity=CRITICAL)
        ],
    )
    bridge = Part(
        name="bridge",
        keys=("month",),
        sql=f"""
            select month,
                sum(mrr_start) as mrr_start,
                sum(case when movement = 'new' then mrr_end else 0 end) as new_mrr,
                sum(case when movement = 'reactivation' then mrr_end else 0 end) as reactivation_mrr,
                sum(case when movement = 'expansion' then mrr_end - mrr_start else 0 end) as expansion_mrr,
                sum(case when movement = 'contraction' then mrr_start - mrr_end else 0 end) as contraction_mrr,
                sum(case when movement = 'churn' then mrr_start else 0 end) as churned_mrr,
                sum(mrr_end) as mrr_end,
                sum(mrr_end) - (sum(mrr_start)
                    + sum(case when movement = 'new' then mrr_end else 0 end)
                    + sum(case when movement = 'reactivation' then mrr_end else 0 end)
                    + sum(case when movement = 'expansion' then mrr_end - mrr_start else 0 end)
                    - sum(case when movement = 'contraction' then mrr_start - mrr_end else 0 end)
                    - sum(case when movement = 'churn' then mrr_start else 0 end)) as bridge_gap
            from {rel}
            group by month""",
        expectations=[_zero("bridge_gap")],
    )
    # This month's start is last month's end, account by account (the first month starts from zero).
    continuity = Part(
        name="continuity",
        keys=("account_id", "month"),
        sql=f"""
            select account_id, month, mrr_start,
                coalesce(lag(mrr_end) over (partition by account_id order by month), 0) as previous_mrr_end,
                mrr_start - coalesce(lag(mrr_end) over (partition by account_id order by month), 0) as continuity_gap
            from {rel}""",
        expectations=[_zero("continuity_gap")],
    )
    return Suite(
        name="marts.mart_mrr_movements",
        asset_key=(MARTS, "mart_mrr_movements"),
        parts=[rows, movement_rules, bridge, continuity],
        description="Keys, amounts, movement rules, the MRR bridge and month-to-month continuity.",
    )


def mart_kpi_monthly() -> Suite:
    """One row per month; its MRR figures reconcile with mart_mrr_movements."""
    rates = ["logo_churn_rate", "gross_revenue_churn_rate", "grr_monthly", "customer_retention_rate",
             "upsell_rate", "cross_sell_rate"]  # fmt: skip
    rows = Part(
        name="table",
        sql=table(MARTS, "mart_kpi_monthly"),
        keys=("month",),
        row_count=RowCountBounds(min_ratio=0.95, max_ratio=1.5),
        freshness=Freshness("month", max_age_days=62),
        expectations=[
            gxe.ExpectColumnValuesToNotBeNull(column="is_complete", severity=CRITICAL),
            gxe.ExpectColumnValuesToBeBetween(column="fiscal_quarter", min_value=1, max_value=4, severity=CRITICAL),
            gxe.ExpectColumnValuesToNotBeNull(column="mrr", severity=CRITICAL),
            gxe.ExpectColumnValuesToBeBetween(column="mrr", min_value=0, severity=CRITICAL),
            gxe.ExpectColumnValuesToBeBetween(column="nrr_monthly", min_value=0, severity=CRITICAL),
            gxe.ExpectColumnValuesToBeBetween(column="net_revenue_churn_rate", max_value=1, severity=CRITICAL),
            *[_rate(c) for c in rates],
            # A year-on-year NRR above 200 % is possible but almost always a base that lost its accounts.
            gxe.ExpectColumnValuesToBeBetween(column="nrr_12m", min_value=0, max_value=2, severity=WARNING),
            gxe.ExpectTableRowCountToBeBetween(min_value=1, severity=CRITICAL),
        ],
    )
    reconcile = Part(
        name="reconcile_movements",
        keys=("month",),
        sql=f"""
            with movements as (
                select month,
                    sum(mrr_end) as mrr,
                    sum(mrr_start) as mrr_at_start,
                    count(*) filter (where movement = 'churn') as churned_accounts
                from {MARTS}.mart_mrr_movements
                group by month
            )
            select k.month,
                k.mrr - m.mrr as mrr_gap,
                k.arr - 12 * k.mrr as arr_gap,
                k.mrr_at_start - m.mrr_at_start as mrr_at_start_gap,
                k.churned_accounts - m.churned_accounts as churned_accounts_gap
            from {MARTS}.mart_kpi_monthly k
            left join movements m using (month)""",
        expectations=[
            _zero("mrr_gap", AMOUNT_TOLERANCE),
            _zero("arr_gap", AMOUNT_TOLERANCE),
            _zero("mrr_at_start_gap", AMOUNT_TOLERANCE),
            _zero("churned_accounts_gap"),
        ],
    )
    return Suite(
        name="marts.mart_kpi_monthly",
        asset_key=(MARTS, "mart_kpi_monthly"),
        parts=[rows, reconcile],
        description="Monthly KPIs: keys, rate ranges, ARR = 12 × MRR, reconciliation with the MRR movements.",
    )


def mart_churn_by_plan_tenure() -> Suite:
    """month × plan × tenure band; churned accounts add up to the churn movements of the month."""
    rows = Part(
        name="table",
        sql=table(MARTS, "mart_churn_by_plan_tenure"),
        keys=("month", "plan", "tenure_band"),
        row_count=RowCountBounds(min_ratio=0.9, max_ratio=1.5),
        expectations=[
            gxe.ExpectColumnValuesToNotBeNull(column="plan", severity=CRITICAL),
            gxe.ExpectColumnValuesToNotBeNull(column="tenure_band", severity=CRITICAL),
            gxe.ExpectColumnValuesToBeInSet(column="tenure_band", value_set=list(TENURE_BANDS), severity=CRITICAL),
            gxe.ExpectColumnValuesToBeBetween(column="accounts_at_start", min_value=0, severity=CRITICAL),
            gxe.ExpectColumnPairValuesAToBeGreaterThanB(
                column_A="accounts_at_start", column_B="churned_accounts", or_equal=True, severity=CRITICAL
            ),
            _rate("logo_churn_rate"),
        ],
    )
    reconcile = Part(
        name="reconcile_movements",
        keys=("month",),
        sql=f"""
            with by_plan as (
                select month, sum(churned_accounts) as churned_accounts, sum(accounts_at_start) as accounts_at_start
                from {MARTS}.mart_churn_by_plan_tenure group by month
            ),
            movements as (
                select month,
                    count(*) filter (where movement = 'churn') as churned_accounts,
                    count(*) filter (where mrr_start > 0) as accounts_at_start
                from {MARTS}.mart_mrr_movements group by month
            )
            select p.month,
                p.churned_accounts - coalesce(m.churned_accounts, 0) as churned_accounts_gap,
                p.accounts_at_start - coalesce(m.accounts_at_start, 0) as accounts_at_start_gap
            from by_plan p left join movements m using (month)""",
        expectations=[_zero("churned_accounts_gap"), _zero("accounts_at_start_gap")],
    )
    return Suite(
        name="marts.mart_churn_by_plan_tenure",
        asset_key=(MARTS, "mart_churn_by_plan_tenure"),
        parts=[rows, reconcile],
        description="Churn by plan and tenure band: keys, bands, rates, totals equal to the MRR movements.",
    )


def customer_360() -> Suite:
    """One row per account; ARR equals the latest month's ARR of mart_mrr_movements."""
    rows = Part(
        name="table",
        sql=table(MARTS, "customer_360"),
        keys=("account_id",),
        row_count=RowCountBounds(min_ratio=0.95, max_ratio=1.5),
        expectations=[
            gxe.ExpectColumnValuesToBeBetween(column="mrr", min_value=0, severity=CRITICAL),
            gxe.ExpectColumnValuesToBeBetween(column="arr", min_value=0, severity=CRITICAL),
            gxe.ExpectColumnValuesToBeBetween(column="health_score", min_value=0, max_value=100, severity=WARNING),
            gxe.ExpectTableRowCountToBeBetween(min_value=1, severity=CRITICAL),
        ],
    )
    reconcile = Part(
        name="reconcile_arr",
        keys=("arr_in_customer_360", "arr_in_mrr_movements"),
        sql=f"""
            with latest as (
                select 12 * sum(mrr_end) as arr
                from {MARTS}.mart_mrr_movements
                where month = (select max(month) from {MARTS}.mart_mrr_movements)
            )
            select coalesce((select sum(arr) from {MARTS}.customer_360), 0) as arr_in_customer_360,
                latest.arr as arr_in_mrr_movements,
                coalesce((select sum(arr) from {MARTS}.customer_360), 0) - latest.arr as arr_gap
            from latest""",
        expectations=[_zero("arr_gap", AMOUNT_TOLERANCE)],
    )
    return Suite(
        name="marts.customer_360",
        asset_key=(MARTS, "customer_360"),
        parts=[rows, reconcile],
        description="Customer 360: one row per account, ARR equal to the MRR mart's latest month.",
    )


# Columns named as fractions (docs/kpis.md: rates are 0.0427, not 4.27). Net revenue churn goes below zero
# when expansion outgrows churn, and a login rate above one means more active users than seats: not fractions.
FRACTION_SUFFIXES = ("_rate", "_share", "stickiness")
NOT_FRACTIONS = frozenset({"net_revenue_churn_rate", "login_rate"})


def is_fraction_column(column: str) -> bool:
    return column.endswith(FRACTION_SUFFIXES) and column not in NOT_FRACTIONS


def generic_model_suite(schema: str, name: str, columns: list[str] | tuple[str, ...] = ()) -> Suite:
    """For a mart without a handwritten suite: not empty, no sudden change of size, and (warning) the columns
    named as fractions within 0..1. Keys, not-nulls and accepted values are the model's dbt tests and
    contract constraints alone: a GX suite does not repeat them."""
    expectations = [
        gxe.ExpectTableRowCountToBeBetween(min_value=1, severity=WARNING),
        *(_rate(column, severity=WARNING) for column in columns if is_fraction_column(column)),
    ]
    return Suite(
        name=f"{schema}.{name}",
        asset_key=(schema, name),
        parts=[Part(name="table", sql=table(schema, name), row_count=RowCountBounds(), expectations=expectations)],
        description="Row count present and stable; fraction-named columns within 0..1.",
    )


def model_columns(manifest: dict, name: str) -> list[str]:
    """The columns a model's yml documents (dbt's manifest)."""
    node = next(
        (n for n in manifest.get("nodes", {}).values() if n.get("resource_type") == "model" and n["name"] == name),
        None,
    )
    return list((node or {}).get("columns", {}))


def mart_suites() -> list[Suite]:
    return [mart_mrr_movements(), mart_kpi_monthly(), mart_churn_by_plan_tenure(), customer_360()]
