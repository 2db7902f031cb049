"""CS-operations marts on the session's standard dataset: touch coverage and alert follow-up recomputed in
pandas from the raw activities export (the CSV the generator wrote, not the warehouse's staging), and the
generator's planted effect (acted-on risk churns less) found in mart_alert_outcomes.

The tiers (mart_touch_tiers) and the alert episodes (mart_churn_risk_alerts) are inputs here, read from the
warehouse: they are tested elsewhere; what is recomputed is the counting of activities against them.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import duckdb
import pandas as pd
import pytest

from cs_warehouse.semantic_query import SemanticLayer
from tests.conftest import STANDARD, Build

ROOT = Path(__file__).resolve().parents[2]
AS_OF = dt.date.fromisoformat(STANDARD.end_date)
WINDOW = pd.Timedelta(days=14)  # var alert_followup_window_days
SLA_HOURS = {True: 72, False: 168}  # seed alert_followup_sla, by was_ever_critical


@pytest.fixture(scope="module")
def tables(standard_build: Build) -> dict[str, pd.DataFrame]:
    with duckdb.connect(str(standard_build.warehouse), read_only=True) as con:
        out = {
            name: con.execute(f"select * from marts.{name}").df()
            for name in (
                "mart_touch_tiers",
                "mart_churn_risk_alerts",
                "mart_touch_coverage",
                "mart_alert_followup",
                "mart_alert_outcomes",
            )
        }
    acts = pd.read_csv(standard_build.landing / "activities.csv", dtype=str, keep_default_na=False)
    acts = acts[acts["Status"] == "completed"].copy()
    # local wall time in Tokyo, without zone
    acts["local"] = pd.to_datetime(acts["ActivityDateTime"], utc=True).dt.tz_convert("Asia/Tokyo").dt.tz_localize(None)
    out["activities"] = acts
    return out


def test_touch_coverage_equals_an_independent_count(tables: dict[str, pd.DataFrame]) -> None:
    policy = pd.read_csv(ROOT / "seeds" / "touch_model_policy.csv")
    acts = tables["activities"]
    acts = acts.assign(day=acts["local"].dt.normalize())
    by_key = {k: g["day"].to_numpy() for k, g in acts.groupby(["AccountId", "Type"])}
    expected = {}
    for row in tables["mart_touch_tiers"].itertuples():
        month = pd.Timestamp(row.month)
        month_end = month + pd.offsets.MonthEnd(0)
        rules = policy[policy["touch_tier"] == row.touch_tier]
        actual, met = 0, 0
        for rule in rules.itertuples():
            start = month - pd.DateOffset(months=2) if rule.period == "quarter" else month
            days = by_key.get((row.account_id, rule.activity_type), [])
            n = sum(1 for d in days if start <= d <= month_end)
            actual += n
            met += n >= rule.min_count
        expected[(row.account_id, month)] = (actual, met == len(rules))
    mart = tables["mart_touch_coverage"]
    got = {
        (r.account_id, pd.Timestamp(r.month)): (int(r.actual_touches), bool(r.is_covered)) for r in mart.itertuples()
    }
    assert len(got) == len(expected) > 1000
    assert got == expected
    # coverage is neither trivially full nor empty on the generated data
    assert 0.2 < sum(c for _, c in expected.values()) / len(expected) < 0.9


def test_alert_followup_equals_an_independent_computation(tables: dict[str, pd.DataFrame]) -> None:
    acts = tables["activities"]
    per_account = {k: g["local"].sort_values().to_numpy() for k, g in acts.groupby("AccountId")}
    known_until = pd.Timestamp(AS_OF) + pd.Timedelta(days=1)
    expected = {}
    for a in tables["mart_churn_risk_alerts"].itertuples():
        detected = pd.Timestamp(a.first_detected_date) + pd.Timedelta(days=1)
        times = [t for t in per_account.get(a.account_id, []) if detected <= t < detected + WINDOW]
        sla = SLA_HOURS[bool(a.was_ever_critical)]
        if times:
            hours = (pd.Timestamp(times[0]) - detected) / pd.Timedelta(hours=1)
            within = hours <= sla
        else:
            hours = None
            within = False if detected + pd.Timedelta(hours=sla) <= known_until else None
        expected[a.alert_id] = (None if hours is None else round(hours, 6), within)
    mart = tables["mart_alert_followup"]
    got = {
        r.alert_id: (
            None if pd.isna(r.response_hours) else round(float(r.response_hours), 6),
            None if pd.isna(r.is_acted_within_sla) else bool(r.is_acted_within_sla),
        )
        for r in mart.itertuples()
    }
    assert len(got) == len(expected) > 500
    assert got == expected
    # censored episodes exist and carry no response time
    censored = mart[mart["is_censored"].fillna(False).astype(bool)]
    assert len(censored) > 0 and censored["response_hours"].isna().all()


def test_acted_on_alerts_churn_less(tables: dict[str, pd.DataFrame]) -> None:
    """The generator plants it (docs/generator.md effect 6): accounts whose CSM is engaged (keeps in touch and
    acts on every risk episode) churn with x0.15 the probability. Alerts are the warehouse's own rules, which
    also fire on accounts without latent risk, so the effect arrives diluted, but must show."""
    out = tables["mart_alert_outcomes"]
    totals = out.groupby("is_acted")[["episodes", "churned_episodes"]].sum()
    acted, missed = totals.loc[True], totals.loc[False]
    assert acted["episodes"] >= 200 and missed["episodes"] >= 200
    acted_rate = acted["churned_episodes"] / acted["episodes"]
    missed_rate = missed["churned_episodes"] / missed["episodes"]
    assert missed_rate >= 1.3 * acted_rate, (acted_rate, missed_rate)


def test_semantic_metrics_equal_the_marts(standard_build: Build, tables: dict[str, pd.DataFrame]) -> None:
    """touch_coverage by tier and month (complete months) and alert_action_rate by month, from the semantic
    layer, equal the ratios of the marts' counts."""
    layer = SemanticLayer(standard_build.target / "semantic_manifest.json", standard_build.warehouse)
    dims = ["metric_time__month", "touch_coverage_month__touch_tier"]
    got = layer.query(["touch_coverage"], dims, order_by=dims)
    cov = tables["mart_touch_coverage"]
    cov = cov[cov["is_complete"]]
    want = cov.groupby(["month", "touch_tier"])["is_covered"].mean()
    assert len(got) == len(want) > 30
    for row in got.itertuples(index=False):
        key = (pd.Timestamp(row[0]), row[1])
        assert row[2] == pytest.approx(want[(pd.Timestamp(key[0]), key[1])]), key
    rate = layer.query(["alert_action_rate"], ["metric_time__month"], order_by=["metric_time__month"])
    fu = tables["mart_alert_followup"]
    fu = fu[fu["is_acted_within_sla"].notna()]
    fu_month = pd.to_datetime(fu["first_detected_date"]).dt.to_period("M").dt.to_timestamp()
    want_rate = fu["is_acted_within_sla"].astype(bool).groupby(fu_month).mean()
    assert len(rate) == len(want_rate) > 10
    for month, value in rate.itertuples(index=False):
        assert value == pytest.approx(want_rate[pd.Timestamp(month)]), month


def test_overlapping_owner_periods_fail_the_periods_test(standard_build: Build, tmp_path: Path) -> None:
    """The dbt test non_overlapping_periods on int_csm_owner_periods (macros/tests/non_overlapping_periods.sql),
    as the standard build compiled it, on hand-made periods: it names each pair sharing a day, and only those."""
    [compiled] = (standard_build.target / "compiled").rglob("non_overlapping_periods_int_csm_owner_periods_*.sql")
    warehouse = standard_build.copy_warehouse(tmp_path)
    with duckdb.connect(str(warehouse)) as con:
        assert con.execute(compiled.read_text(encoding="utf-8")).fetchall() == []  # the generated CRM: none
        con.execute(
            """insert into intermediate.int_csm_owner_periods (account_id, csm_user_id, valid_from_date,
                   valid_to_date, owner_source)
               values
                   ('X1', 'c1', date '2026-01-01', date '2026-03-01', 'assignment'),  -- February: c1 and c2
                   ('X1', 'c2', date '2026-02-01', null, 'assignment'),
                   ('X2', 'o2', null, date '2026-01-01', 'crm_owner'),  -- adjacent: no day in both
                   ('X2', 'c3', date '2026-01-01', null, 'assignment'),
                   ('X3', 'o3', null, null, 'crm_owner'),  -- always, and May as well
                   ('X3', 'c4', date '2026-05-01', date '2026-06-01', 'assignment')"""
        )
        failures = con.execute(compiled.read_text(encoding="utf-8")).fetchall()
    assert sorted(failures) == [
        ("X1", dt.date(2026, 1, 1), dt.date(2026, 3, 1), dt.date(2026, 2, 1), None),
        ("X3", None, None, dt.date(2026, 5, 1), dt.date(2026, 6, 1)),
    ]
