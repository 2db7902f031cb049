"""The publish gates in real nightly runs: a broken export never replaces the published serving copy.

One session fixture generates 40 accounts x 6 months (seed 3), runs the first night and publishes; each
test copies landing, warehouse, quality history and serving copy into its own folder. A night costs half a
minute to a minute here, so the tests share that first night and run as few nights as the cases need (the
broken-export cases run in one folder and share the night that publishes the good exports again); the gate
arithmetic itself is tested on hand-made numbers in test_gate_arithmetic.py.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import os
import re
import shutil
from collections.abc import Callable, Iterator
from pathlib import Path

import dagster as dg
import duckdb
import pytest

from cs_warehouse.cli import main as cli_main
from cs_warehouse.runs import partition_range_tags, pending_event_days
from cs_warehouse.settings import Settings
from cs_warehouse.tooling.fingerprint import differences, warehouse_fingerprints
from tests.conftest import REPORTING_DAY, current_definitions

COPIED = ("landing", "warehouse.duckdb", "quality_history", "serving")


def env_vars(env: Path) -> dict[str, str]:
    return {
        "CSW_LANDING_DIR": str(env / "landing"),
        "CSW_DUCKDB_PATH": str(env / "warehouse.duckdb"),
        "CSW_SERVING_PATH": str(env / "serving" / "cs_marts.duckdb"),
        "CSW_REPORTS_DIR": str(env / "reports"),
        "CSW_QUALITY_HISTORY_DIR": str(env / "quality_history"),
        "CSW_GX_DOCS_DIR": str(env / "gx_docs"),
        "CSW_AS_OF_DATE": REPORTING_DAY,
    }


def run_night(env: Path) -> tuple[bool, list[str]]:
    """One nightly run in-process over `env`, tagged as the schedule tags one (new or changed files only);
    returns success and the failure reasons, which a failed run records as the failure sensor does
    (serving/last_failure.json)."""
    from cs_warehouse.defs.jobs import report_failed_run

    with pytest.MonkeyPatch.context() as mp:
        for name, value in env_vars(env).items():
            mp.setenv(name, value)
        defs = current_definitions()
        days = pending_event_days(env / "landing", env / "warehouse.duckdb")
        fallback = days[0] if days else pending_event_days(env / "landing", env / "none.duckdb")[-1]
        with dg.instance_for_test() as instance:
            result = defs.resolve_job_def("nightly_build").execute_in_process(
                instance=instance, tags=partition_range_tags(days, fallback, reload=False), raise_on_error=False
            )
            return result.success, [] if result.success else report_failed_run(
                result.run_id, instance, Settings.from_env()
            )


def serving_sha(env: Path) -> str:
    return hashlib.sha256((env / "serving" / "cs_marts.duckdb").read_bytes()).hexdigest()


def published_mrr(env: Path) -> dict[str, float]:
    with duckdb.connect(str(env / "serving" / "cs_marts.duckdb"), read_only=True) as con:
        rows = con.execute("select month, mrr from marts.mart_kpi_monthly order by month").fetchall()
    return {m.isoformat(): float(v) for m, v in rows}


def gate_reasons(reasons: list[str]) -> list[str]:
    return [r for r in reasons if "check publish_gate " in r]


@pytest.fixture(scope="session")
def published_night(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from cs_warehouse.tooling.generator import generate

    env = tmp_path_factory.mktemp("gates_first_night")
    generate(out_dir=env / "landing", accounts=40, months=6, seed=3)
    success, reasons = run_night(env)
    assert success, reasons
    return env


@pytest.fixture
def night(published_night: Path, tmp_path: Path) -> Iterator[Path]:
    for name in COPIED:
        source = published_night / name
        (shutil.copytree if source.is_dir() else shutil.copy2)(source, tmp_path / name)
    yield tmp_path


def rewrite_csv(path: Path, change: Callable[[list[dict]], None]) -> None:
    rows = list(csv.DictReader(io.StringIO(path.read_text(encoding="utf-8"))))
    change(rows)
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=list(rows[0]), lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    path.write_text(out.getvalue(), encoding="utf-8")


def broken_accounts_nights(night: Path, before: str) -> None:
    """Case 1: accounts.csv cut at half its bytes, mid-row; the night after, only its header is left."""
    accounts = night / "landing" / "accounts.csv"
    good = accounts.read_bytes()
    cut = good[: len(good) // 2]
    assert not cut.endswith(b"\n")  # cut in the middle of a row
    header_only = good.splitlines(keepends=True)[0]
    state = (night / "serving" / "dbt_state" / "run_results.json").read_bytes()
    for broken in (cut, header_only):  # the baseline is the published 40 accounts, not the last load
        accounts.write_bytes(broken)
        success, reasons = run_night(night)
        assert not success
        assert serving_sha(night) == before  # yesterday's numbers stay in front of BI
        # and so does the production state `make pr-check` defers to: the artifacts of the published build
        assert (night / "serving" / "dbt_state" / "run_results.json").read_bytes() == state
        failure = json.loads((night / "serving" / "last_failure.json").read_text(encoding="utf-8"))
        assert failure["status"] == "not published" and failure["reasons"] == reasons
        gates = gate_reasons(reasons)
        print(*gates, sep="\n")
        accounts_gate = [r for r in gates if r.startswith("check publish_gate on raw/accounts failed (ERROR)")]
        assert len(accounts_gate) == 1, reasons
        # The generated export has 40 accounts; the first half of its bytes holds fewer than 30 whole rows.
        rows_now = int(accounts_gate[0].split("accounts: ")[1].split(" rows")[0])
        assert rows_now < 30 if broken is cut else rows_now == 0
        expected = f"accounts: {rows_now} rows vs 40 published ({(rows_now / 40 - 1) * 100:+.1f} %, limit -10.0 %)"
        assert expected in accounts_gate[0]
        # Contracts of the missing accounts are orphans: quarantined, and a revenue entity must have none.
        contracts_gate = [r for r in gates if r.startswith("check publish_gate on raw/contracts failed")]
        assert len(contracts_gate) == 1 and "rows quarantined" in contracts_gate[0]
    # An export with no rows also fails the raw accounts suite's critical part.
    assert any("gx_critical on raw/accounts" in r for r in reasons), reasons
    accounts.write_bytes(good)


def absurd_contract_night(night: Path, before: str) -> tuple[bytes, bytes]:
    """Case 2: one contract item Amount = 10^12, and a contract (with its lines) 1900-01-01 -> 9999-12-31.
    Returns the good contract and contract item exports."""
    items, contracts = night / "landing" / "contract_items.csv", night / "landing" / "contracts.csv"
    good = contracts.read_bytes(), items.read_bytes()
    forever_id: list[str] = []

    def forever(rows: list[dict]) -> None:
        rows[1]["StartDate"], rows[1]["EndDate"] = "1900-01-01", "9999-12-31"
        forever_id.append(rows[1]["Id"])

    def huge_amount_and_forever_lines(rows: list[dict]) -> None:
        rows[0]["Amount"] = "1000000000000"
        for row in rows:
            if row["ContractId"] == forever_id[0]:  # its lines start with it and follow its end
                row["StartDate"], row["EndDate"] = "1900-01-01", ""

    rewrite_csv(contracts, forever)
    rewrite_csv(items, huge_amount_and_forever_lines)
    success, reasons = run_night(night)
    assert not success
    assert serving_sha(night) == before
    gates = gate_reasons(reasons)
    print(*gates, sep="\n")
    # The accounts export is the good one again: its gate passes.
    assert not [r for r in gates if r.startswith("check publish_gate on raw/accounts")]
    # Where ingestion bounds the values (contract min/max), the rows are quarantined and the revenue
    # entities' gate stops the night; where it lets them through, the marts' bounds and MRR gate do.
    quarantined = [r for r in gates if r.startswith("check publish_gate on raw/contract") and "quarantined" in r]
    marts = [r for r in gates if r.startswith("check publish_gate on marts/mart_kpi_monthly failed (ERROR)")]
    assert quarantined or marts, reasons
    if marts:
        assert "above the limit 100,000,000" in marts[0]
        assert "mart_kpi_monthly starts 2015-01, before the earliest business month 2020-01" in marts[0]
        assert re.search(
            r"MRR (\d{4}-\d{2}): [\d,]+ vs [\d,]+ published for \1 \(\+\d+\.\d %, limit \+20\.0 %\)", marts[0]
        )
    return good


def test_broken_exports_never_publish_and_the_good_exports_publish_again(night: Path, published_night: Path) -> None:
    """Both cases in one folder, so one restoring night serves both (a night costs minutes here)."""
    before, mrr_before = serving_sha(night), published_mrr(night)
    broken_accounts_nights(night, before)
    good_contracts, good_items = absurd_contract_night(night, before)
    (night / "landing" / "contracts.csv").write_bytes(good_contracts)
    (night / "landing" / "contract_items.csv").write_bytes(good_items)
    success, reasons = run_night(night)
    assert success, reasons
    assert serving_sha(night) != before
    assert published_mrr(night) == mrr_before  # the same exports as the published night: the same MRR
    # Same landing files as the published night: after the failed nights, every table holds the same rows.
    published_tables = warehouse_fingerprints(published_night / "warehouse.duckdb")
    assert differences(published_tables, warehouse_fingerprints(night / "warehouse.duckdb")) == []


def test_an_accepted_real_change_publishes_once(night: Path, capsys: pytest.CaptureFixture[str]) -> None:
    accounts = night / "landing" / "accounts.csv"

    def add_accounts(rows: list[dict]) -> None:  # 25 new prospects: +62.5 %, no contracts yet
        template = rows[0]
        rows += [{**template, "Id": f"001NEW{i:012d}", "Name": f"New {i}"} for i in range(25)]

    rewrite_csv(accounts, add_accounts)
    before = serving_sha(night)
    success, reasons = run_night(night)
    assert not success and serving_sha(night) == before
    assert any("accounts: 65 rows vs 40 published (+62.5 %, limit +50.0 %)" in r for r in gate_reasons(reasons))

    with pytest.MonkeyPatch.context() as mp:
        for name, value in env_vars(night).items():
            mp.setenv(name, value)
        assert cli_main(["gates", "accept", "mrr", "--reason", "x"]) == 2  # nothing fails for MRR: nothing to accept
        assert cli_main(["gates", "accept", "accounts", "--reason", "trade fair leads imported", "--by", "ops"]) == 0
    assert "accounts: 65 rows vs 40 published" in capsys.readouterr().out
    (entry,) = [json.loads(x) for x in (night / "serving" / "gate_acceptances.jsonl").read_text().splitlines()]
    assert entry["accepted_by"] == "ops" and entry["observed"] == {"rows": 65, "published_rows": 40}

    success, reasons = run_night(night)
    assert success, reasons
    assert serving_sha(night) != before
    with duckdb.connect(str(night / "serving" / "cs_marts.duckdb"), read_only=True) as con:
        baseline = json.loads(con.execute("select baseline_json from main._publication").fetchall()[0][0])
    assert baseline["row_counts"]["accounts"] == 65  # the accepted change is the new baseline
    assert os.environ.get("CSW_LANDING_DIR") != str(night / "landing")  # settings were scoped to the runs
