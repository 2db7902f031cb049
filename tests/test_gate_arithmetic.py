"""The publish gates' arithmetic and bookkeeping on hand-made numbers and small hand-made warehouses."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import duckdb
import pytest

from cs_warehouse.gates import (
    Baseline,
    VolumeLimit,
    accept,
    apply_acceptances,
    bounds_findings,
    export_findings,
    mart_findings,
    mrr_findings,
    parse_gate_config,
    quarantine_finding,
    read_baseline,
    volume_finding,
)
from cs_warehouse.publish import publish_serving_copy

CFG = parse_gate_config(
    {
        "defaults": {
            "volume": {"min_change": -0.10, "max_change": 0.50, "min_rows": 5},
            "quarantine": {"max_share": 0.05},
        },
        "entities": {"plans": {"volume": {"min_rows": 1}}, "contacts": {"quarantine": {"max_share": 0.5}}},
        "revenue_entities": ["contracts", "contract_items"],
        "mrr": {"min_change": -0.20, "max_change": 0.20, "history_tolerance": 0.02},
        "bounds": {"max_account_mrr": 1_000_000, "earliest_month": "2020-01-01"},
    }
)
LIMIT = VolumeLimit(-0.10, 0.50, 5)


def test_volume_drop_beyond_the_limit_fails_with_its_numbers() -> None:
    finding = volume_finding("accounts", 20, 40, LIMIT)
    assert finding is not None
    assert finding.message == "accounts: 20 rows vs 40 published (-50.0 %, limit -10.0 %)"
    assert finding.observed == {"rows": 20, "published_rows": 40}


def test_volume_jump_beyond_the_limit_fails() -> None:
    finding = volume_finding("accounts", 61, 40, LIMIT)  # 61 / 40 = +52.5 %
    assert finding is not None and finding.message == "accounts: 61 rows vs 40 published (+52.5 %, limit +50.0 %)"


@pytest.mark.parametrize(
    ("rows", "published"),
    [
        (36, 40),  # -10.0 %: on the limit
        (60, 40),  # +50.0 %: on the limit
        (1, 4),  # -75 % but only 3 rows fewer (min_rows 5)
        (40, None),  # first night: nothing published
        (7, 0),  # empty when published (an optional export)
    ],
)
def test_volume_within_limits_or_without_a_baseline_passes(rows: int, published: int | None) -> None:
    assert volume_finding("accounts", rows, published, LIMIT) is None


def test_per_entity_settings_override_the_defaults() -> None:
    assert CFG.volume("plans") == VolumeLimit(-0.10, 0.50, 1)
    assert CFG.volume("accounts") == LIMIT
    assert volume_finding("plans", 2, 4, CFG.volume("plans")) is not None
    assert CFG.max_quarantined_share("contacts") == 0.5 and CFG.max_quarantined_share("accounts") == 0.05


def test_quarantine_share_and_revenue_entities() -> None:
    assert quarantine_finding("accounts", 100, 5, 0.05, revenue=False) is None  # 5.0 %: on the limit
    orphaned = quarantine_finding("contacts_x", 100, 6, 0.05, revenue=False)
    assert orphaned is not None and orphaned.message == "contacts_x: 6 of 100 rows quarantined (6.0 %, limit 5.0 %)"
    revenue = quarantine_finding("contract_items", 200, 1, 0.05, revenue=True)
    assert revenue is not None and revenue.message.startswith("contract_items: 1 of 200 rows quarantined (0.5 %)")
    assert quarantine_finding("contract_items", 200, 0, 0.05, revenue=True) is None


def months(*values: float, start: str = "2026-01-01", complete: int | None = None) -> dict:
    """Consecutive months from `start` with these MRR values; the first `complete` ones are complete."""
    first = dt.date.fromisoformat(start)
    complete = len(values) if complete is None else complete
    out = {}
    for i, value in enumerate(values):
        month = dt.date(first.year + (first.month - 1 + i) // 12, (first.month - 1 + i) % 12 + 1, 1)
        out[month] = (value, i < complete)
    return out


def test_mrr_unchanged_history_and_a_modest_new_month_pass() -> None:
    published = months(100, 110, 120, 50, complete=3)  # April is running
    new = months(100, 110, 120, 132, 60, complete=4)  # April closed at +10 % on March
    assert mrr_findings(new, published, CFG) == []


def test_mrr_drop_of_the_latest_complete_month_and_rewritten_history_fail() -> None:
    published = months(100_000, 110_000, 120_000, 1_000, complete=3)
    new = months(43_000, 47_300, 51_600, 1_000, complete=3)  # every month -57 %
    latest, history = mrr_findings(new, published, CFG)
    assert latest.gate == "mrr"
    assert latest.message == "MRR 2026-03: 51,600 vs 120,000 published for 2026-03 (-57.0 %, limit -20.0 %)"
    assert history.gate == "mrr_history"
    assert history.message == (
        "MRR history rewritten: 3 published month(s) changed by more than ±2.0 %, largest 2026-01: "
        "43,000 vs 100,000 published (-57.0 %)"
    )
    assert history.observed == {"months": {"2026-01-01": 43000.0, "2026-02-01": 47300.0, "2026-03-01": 51600.0}}


def test_mrr_history_tolerance_and_the_running_month() -> None:
    published = months(100_000, 100_000, 10, complete=2)
    # February moves by 1.5 % (within 2 %), the running month of the publication moves freely.
    assert mrr_findings(months(100_000, 101_500, 99_000, complete=2), published, CFG) == []
    (history,) = mrr_findings(months(100_000, 102_500, 10, complete=2), published, CFG)
    assert "1 published month(s)" in history.message and "(+2.5 %)" in history.message


def test_mrr_jump_and_a_published_month_that_disappeared() -> None:
    published = months(100_000, 100_000, complete=2)
    new = months(1e12, 1e12, complete=2)
    latest, history = mrr_findings(new, published, CFG)
    assert "(+999999900.0 %, limit +20.0 %)" in latest.message
    gone = {dt.date(2026, 2, 1): (100_000.0, True)}
    (history,) = mrr_findings({dt.date(2026, 2, 1): (100_000.0, True)}, {**gone, dt.date(2026, 1, 1): (5.0, True)}, CFG)
    assert "largest 2026-01: 0 vs 5 published (-100.0 %)" in history.message


def test_mrr_first_night_has_nothing_to_compare() -> None:
    assert mrr_findings(months(100, 200), {}, CFG) == []


def test_bounds_on_account_mrr_and_first_month_cannot_be_accepted() -> None:
    assert bounds_findings(("A1", dt.date(2026, 1, 1), 1_000_000.0), dt.date(2020, 1, 1), CFG) == []
    too_high, too_early = bounds_findings(("A1", dt.date(2026, 1, 1), 1_000_001.0), dt.date(2015, 1, 1), CFG)
    assert too_high.message == "account A1 MRR 2026-01: 1,000,001 above the limit 1,000,000"
    assert too_early.message == "mart_kpi_monthly starts 2015-01, before the earliest business month 2020-01"
    assert not too_high.acceptable and not too_early.acceptable


# --- small hand-made warehouses -------------------------------------------------------------------------


def make_warehouse(path: Path, accounts: int, mrr: list[float], quarantined: int = 0) -> None:
    with duckdb.connect(str(path)) as con:
        con.execute("create schema if not exists raw")
        con.execute("create schema if not exists marts")
        con.execute(f"create or replace table raw.accounts as select range as id from range({accounts})")
        con.execute(
            "create or replace table raw._load_audit (entity varchar, rows_read bigint, rows_quarantined bigint, "
            "loaded_at timestamptz)"
        )
        con.execute("insert into raw._load_audit values ('accounts', 1, 1, '2026-01-01'), (?, ?, ?, now())",
                    ["accounts", accounts + quarantined, quarantined])  # fmt: skip
        con.execute(
            "create or replace table marts.mart_kpi_monthly as select "
            "(date '2026-01-01' + to_months(i::int))::date as month, v::decimal(18, 2) as mrr, true as is_complete "
            "from (select unnest(?) as v, generate_subscripts(?, 1) - 1 as i)",
            [mrr, mrr],
        )
        con.execute(
            "create or replace table marts.mart_mrr_movements as "
            "select 'A1' as account_id, month, mrr as mrr_end from marts.mart_kpi_monthly"
        )


def test_baseline_moves_only_with_a_publication_and_an_acceptance_is_used_once(tmp_path: Path) -> None:
    warehouse, serving = tmp_path / "wh.duckdb", tmp_path / "serving" / "cs_marts.duckdb"
    make_warehouse(warehouse, 40, [100_000, 100_000])
    assert export_findings(warehouse, serving, ["accounts"], CFG) == {"accounts": []}  # first night
    publish_serving_copy(warehouse, serving, baseline_entities=["accounts", "users"])
    baseline = read_baseline(serving)
    assert baseline is not None and baseline.row_counts == {"accounts": 40}

    make_warehouse(warehouse, 20, [100_000, 100_000])
    for _night in range(2):  # a second bad night still compares with the published 40
        (finding,) = export_findings(warehouse, serving, ["accounts"], CFG)["accounts"]
        assert finding.message == "accounts: 20 rows vs 40 published (-50.0 %, limit -10.0 %)"
        assert finding.accepted is None

    with pytest.raises(ValueError, match="nothing to accept"):
        accept("users", "no change there", warehouse, serving, ["accounts", "users"], by="ops", cfg=CFG)
    (entry,) = accept("accounts", "CRM cleanup of test accounts", warehouse, serving, ["accounts"], by="ops", cfg=CFG)
    assert entry["observed"] == {"rows": 20, "published_rows": 40}
    assert entry["accepted_by"] == "ops" and entry["reason"] == "CRM cleanup of test accounts"
    (finding,) = export_findings(warehouse, serving, ["accounts"], CFG)["accounts"]
    assert finding.accepted is not None and finding.accepted["reason"] == "CRM cleanup of test accounts"

    # Only that change: 19 rows is not what was accepted.
    make_warehouse(warehouse, 19, [100_000, 100_000])
    (finding,) = export_findings(warehouse, serving, ["accounts"], CFG)["accounts"]
    assert finding.accepted is None

    # Once: after the accepted night publishes, 20 is the baseline and the old acceptance matches nothing.
    make_warehouse(warehouse, 20, [100_000, 100_000])
    publish_serving_copy(warehouse, serving, baseline_entities=["accounts"])
    assert read_baseline(serving).row_counts == {"accounts": 20}
    make_warehouse(warehouse, 10, [100_000, 100_000])
    (finding,) = export_findings(warehouse, serving, ["accounts"], CFG)["accounts"]
    assert finding.accepted is None and finding.message.startswith("accounts: 10 rows vs 20 published")
    ledger = [json.loads(x) for x in (tmp_path / "serving" / "gate_acceptances.jsonl").read_text().splitlines()]
    assert len(ledger) == 1


def test_mart_gates_on_a_hand_made_warehouse(tmp_path: Path) -> None:
    warehouse, serving = tmp_path / "wh.duckdb", tmp_path / "serving" / "cs_marts.duckdb"
    make_warehouse(warehouse, 40, [100_000, 100_000])
    assert mart_findings(warehouse, serving, CFG) == []
    publish_serving_copy(warehouse, serving)
    make_warehouse(warehouse, 40, [100_000, 100_000, 130_000])  # March +30 % on February
    (latest,) = mart_findings(warehouse, serving, CFG)
    assert latest.message == "MRR 2026-03: 130,000 vs 100,000 published for 2026-02 (+30.0 %, limit +20.0 %)"
    make_warehouse(warehouse, 40, [100_000, 2_000_000])
    found = {f.gate: f for f in mart_findings(warehouse, serving, CFG)}
    assert set(found) == {"mrr", "mrr_history", "bounds"}
    assert found["bounds"].message == "account A1 MRR 2026-02: 2,000,000 above the limit 1,000,000"


def test_quarantine_gate_reads_the_latest_load(tmp_path: Path) -> None:
    warehouse, serving = tmp_path / "wh.duckdb", tmp_path / "serving" / "cs_marts.duckdb"
    make_warehouse(warehouse, 40, [1.0], quarantined=10)  # 10 of 50 = 20 %; the older load had 1 of 1
    (finding,) = export_findings(warehouse, serving, ["accounts"], CFG)["accounts"]
    assert finding.message == "accounts: 10 of 50 rows quarantined (20.0 %, limit 5.0 %)"
    make_warehouse(warehouse, 40, [1.0], quarantined=2)  # 2 of 42 = 4.8 %
    assert export_findings(warehouse, serving, ["accounts"], CFG) == {"accounts": []}


def test_acceptance_needs_the_same_publication(tmp_path: Path) -> None:
    finding = volume_finding("accounts", 20, 40, LIMIT)
    serving = tmp_path / "cs_marts.duckdb"
    entry = {"gate": "volume", "subject": "accounts", "baseline_published_at": "2026-01-01T00:00:00+00:00",
             "observed": {"published_rows": 40, "rows": 20}, "accepted_by": "ops"}  # fmt: skip
    (tmp_path / "gate_acceptances.jsonl").write_text(json.dumps(entry) + "\n")
    (same,) = apply_acceptances([finding], serving, Baseline("2026-01-01T00:00:00+00:00", {}))
    (other,) = apply_acceptances([finding], serving, Baseline("2026-01-02T00:00:00+00:00", {}))
    assert same.accepted == entry and other.accepted is None
