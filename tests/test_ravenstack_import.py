"""RavenStack (an outside export) imports through its mapping with every row accounted for."""

from __future__ import annotations

import csv
import hashlib

import pytest

from cs_warehouse.settings import PROJECT_DIR
from cs_warehouse.tooling.importer import import_export

SOURCE = PROJECT_DIR / "datasets" / "ravenstack"
MAPPING = PROJECT_DIR / "mappings" / "ravenstack.yml"


def test_the_vendored_files_are_the_published_bytes() -> None:
    sums = dict(reversed(line.split("  ")) for line in (SOURCE / "SHA256SUMS").read_text().splitlines())
    assert sorted(sums) == sorted(p.name for p in SOURCE.glob("*.csv"))
    for name, digest in sums.items():
        assert hashlib.sha256((SOURCE / name).read_bytes()).hexdigest() == digest, name


def source_rows(name: str) -> list[dict]:
    with open(SOURCE / name, encoding="utf-8", newline="") as fh:
        return list(csv.DictReader(fh))


@pytest.fixture(scope="module")
def report(tmp_path_factory: pytest.TempPathFactory):
    out = tmp_path_factory.mktemp("ravenstack")
    return import_export(MAPPING, SOURCE, out / "landing", out / "warehouse.duckdb")


def test_every_source_row_is_loaded_quarantined_or_dropped_with_a_reason(report) -> None:
    for target in report.targets:
        assert target.rows_read == len(source_rows(target.source_file)), target
        assert target.rows_read == target.rows_mapped + target.rows_dropped, target
        assert target.rows_mapped == target.rows_loaded + target.rows_quarantined, target
        assert target.rows_dropped == 0 or target.dropped_reason
    assert report.reconciles


def test_quarantine_counts_match_an_independent_count_of_the_flaws(report) -> None:
    by_entity = {t.entity: t for t in report.targets}
    usage_ids = [r["usage_id"] for r in source_rows("ravenstack_feature_usage.csv")]
    repeated = len(usage_ids) - len(set(usage_ids))
    assert by_entity["product_usage_daily"].quarantined_by_rule == {"duplicate_key": repeated}
    unknown_reason = sum(r["reason_code"] == "unknown" for r in source_rows("ravenstack_churn_events.csv"))
    assert by_entity["cancellation_surveys"].quarantined_by_rule == {"enum": unknown_reason}
    unscored = sum(r["satisfaction_score"] == "" for r in source_rows("ravenstack_support_tickets.csv"))
    assert by_entity["csat_responses"].rows_dropped == unscored


def test_quarantine_points_at_the_source_line(report) -> None:
    rows = source_rows("ravenstack_churn_events.csv")
    by_entity = {t.entity: t for t in report.targets}
    for line in by_entity["cancellation_surveys"].sample_source_lines["enum"]:
        assert rows[line - 2]["reason_code"] == "unknown"  # line 1 is the header


def test_the_exports_own_contradictions_are_reported(report) -> None:
    accounts = {r["account_id"]: r for r in source_rows("ravenstack_accounts.csv")}
    events = source_rows("ravenstack_churn_events.csv")
    contradicting = sum(
        accounts[e["account_id"]]["churn_flag"] == "False" for e in events if e["account_id"] in accounts
    )
    assert report.findings["churn_event_for_account_flagged_not_churned"]["rows"] == contradicting
    assert report.findings["usage_outside_contract_window"]["rows"] > 0
