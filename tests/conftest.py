"""Generated datasets shared by the whole test session: each is generated, loaded and built once.

A test that needs a warehouse built from generated landing data asks for one of these session fixtures
instead of generating its own; each hands out a `Build` (landing folder, warehouse file, dbt target folder,
the environment the build ran with). The fixtures are read-only: a test that writes to a warehouse works on
`build.copy_warehouse(tmp_path)`, never on `build.warehouse`.

- `standard_build`: STANDARD (200 accounts, 15 months to 2026-09-30, seed 7, 0.25 events per user-day),
  loaded, then one `dbt build` over the whole project (every seed, model, snapshot, data test and unit test,
  as `make test-dbt` runs it on the same dataset); the build must end with no error, failing test or skip,
  and its node count is printed at the end of the run. Used by the health-signal test and the engine legs.
- `revenue_build`: REVENUE (250 accounts, 30 months, no events), the revenue marts and their tests: the
  revenue checks need more than two years of contracts.
- `usage_build`: USAGE (40 accounts, 2 months, dense events), the usage models: the usage checks recompute
  every account-day in pandas, so the history is kept short.

Under `pytest -n 2` (make test) the tests that share a dataset run on one worker, so each dataset is still
built once: the scheduler below groups the test files by the dataset fixture their source names. A new test
only takes the fixture as an argument (`def test_x(standard_build: Build)`); nothing else to register.
"""

from __future__ import annotations

import datetime as dt
import functools
import json
import os
import shutil
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from cs_warehouse.tooling.generator import generate

ROOT = Path(__file__).resolve().parents[1]
# The reporting day of the in-process nightly tests (CSW_AS_OF_DATE): fixed once per session, so the
# nights of one test compute the same day's KPIs even when the session runs past midnight in Tokyo.
REPORTING_DAY = dt.datetime.now(ZoneInfo("Asia/Tokyo")).date().isoformat()
# The event partitions are defined once per process, when the definitions load, from the landing folder of
# that moment; the tests of one session run nights over datasets from 2024 to 2026 in different folders, so
# the partitions start before all of them (the setting's override; tests/ingestion tests the default).
os.environ.setdefault("CSW_EVENTS_START_DATE", "2020-01-01")
DBT = str(Path(sys.executable).parent / "dbt")


@dataclass(frozen=True)
class Dataset:
    accounts: int
    months: int
    seed: int
    end_date: str
    events_per_user_day: float

    def generate(self, landing: Path) -> None:
        generate(
            landing,
            accounts=self.accounts,
            months=self.months,
            seed=self.seed,
            end_date=self.end_date,
            events_per_user_day=self.events_per_user_day,
        )


# `make test-dbt` generates the same dataset (the Makefile's test-dbt target names these numbers).
STANDARD = Dataset(accounts=200, months=15, seed=7, end_date="2026-09-30", events_per_user_day=0.25)
REVENUE = Dataset(accounts=250, months=30, seed=20240401, end_date="2025-12-31", events_per_user_day=0.0)
USAGE = Dataset(accounts=40, months=2, seed=23, end_date="2026-02-28", events_per_user_day=1.0)


@dataclass
class Build:
    root: Path
    dataset: Dataset
    env: dict[str, str]
    dbt_results: dict[str, int] = field(default_factory=dict)

    @property
    def landing(self) -> Path:
        return self.root / "landing"

    @property
    def warehouse(self) -> Path:
        return self.root / "warehouse.duckdb"

    @property
    def target(self) -> Path:
        return self.root / "target"

    @property
    def as_of(self) -> str:
        return self.dataset.end_date

    def run(self, *args: str) -> subprocess.CompletedProcess:
        done = subprocess.run(list(args), cwd=ROOT, env=self.env, capture_output=True, text=True, check=False)
        assert done.returncode == 0, f"{' '.join(args[:3])}:\n{done.stdout[-4000:]}{done.stderr[-2000:]}"
        return done

    def dbt(self, command: str, *args: str) -> dict[str, int]:
        """One dbt invocation with the dataset's as_of_date; no node may end in an error, a failing test or a
        skip (a warning is allowed, as `dbt build` allows it; exposures report no-op). Returns the count of
        nodes per status (run_results.json)."""
        self.run(DBT, command, "--quiet", "--vars", f"{{as_of_date: '{self.as_of}'}}", *args)
        results = json.loads((self.target / "run_results.json").read_text(encoding="utf-8"))["results"]
        counts: dict[str, int] = {}
        for result in results:
            counts[result["status"]] = counts.get(result["status"], 0) + 1
        bad = [
            (r["unique_id"], r["status"]) for r in results if r["status"] not in ("success", "pass", "warn", "no-op")
        ]
        assert results and not bad, bad
        return counts

    def copy_warehouse(self, dest_dir: Path) -> Path:
        """A private copy of the warehouse file, for a test that writes to it."""
        dest_dir.mkdir(parents=True, exist_ok=True)
        return Path(shutil.copy2(self.warehouse, dest_dir / self.warehouse.name))


def make_build(root: Path, dataset: Dataset) -> Build:
    """Generates the dataset under `root` and loads it; the caller runs dbt."""
    env = dict(os.environ)
    env.update(
        CSW_LANDING_DIR=str(root / "landing"),
        CSW_DUCKDB_PATH=str(root / "warehouse.duckdb"),
        DBT_TARGET_PATH=str(root / "target"),
        DBT_LOG_PATH=str(root / "logs"),
        DBT_PROFILES_DIR=str(ROOT),
        PYTHONPATH=str(ROOT / "orchestration"),
    )
    env.pop("CSW_DBT_TARGET", None)
    build = Build(root, dataset, env)
    dataset.generate(build.landing)
    build.run(sys.executable, "-m", "cs_warehouse", "load")
    return build


_DBT_SUMMARIES: list[str] = []


@pytest.fixture(scope="session")
def standard_build(tmp_path_factory: pytest.TempPathFactory) -> Build:
    build = make_build(tmp_path_factory.mktemp("standard"), STANDARD)
    build.dbt_results = build.dbt("build")
    # Kept apart from target/: later dbt invocations on this build would overwrite run_results.json.
    shutil.copy2(build.target / "run_results.json", build.root / "dbt_build_run_results.json")
    counts = ", ".join(f"{status.upper()}={n}" for status, n in sorted(build.dbt_results.items()))
    _DBT_SUMMARIES.append(f"dbt build on the standard dataset: {counts} TOTAL={sum(build.dbt_results.values())}")
    return build


@pytest.fixture(scope="session")
def revenue_build(tmp_path_factory: pytest.TempPathFactory) -> Build:
    build = make_build(tmp_path_factory.mktemp("revenue"), REVENUE)
    build.dbt(
        "build",
        "--select", "+mart_kpi_monthly", "+mart_mrr_movements", "+path:models/marts/revenue", "stg_crm__product_lines",
        "metricflow_time_spine",
        "--exclude", "test_type:unit", "--indirect-selection", "cautious",
    )  # fmt: skip
    return build


@pytest.fixture(scope="session")
def usage_build(tmp_path_factory: pytest.TempPathFactory) -> Build:
    build = make_build(tmp_path_factory.mktemp("usage"), USAGE)
    # seeds and the usage models in one invocation (one parse), no tests
    build.dbt(
        "build",
        "--select", "+path:models/intermediate/usage", "mart_time_to_first_action_user",
        "--exclude-resource-type", "test", "unit_test",
    )  # fmt: skip
    return build


SHARED = ("standard_build", "revenue_build", "usage_build")


@functools.cache
def test_group(path: str) -> str:
    """The pytest-xdist group of a test file: the first session dataset its source names (the engine legs'
    `engine_workspace` is the standard build), the generator's folder as one (its conftest's session
    fixtures), else the file itself (its module fixtures are then built once)."""
    if path.startswith("tests/generator/"):
        return "generator"
    source = (ROOT / path).read_text(encoding="utf-8") if (ROOT / path).is_file() else ""
    source = source.replace("engine_workspace", "standard_build")
    return next((name for name in SHARED if name in source), path)


@pytest.hookimpl(optionalhook=True)
def pytest_xdist_make_scheduler(config, log):
    """`pytest -n 2 --dist loadfile` (make test): files are sent to the workers by `test_group`, so the tests
    that share a dataset run on one worker and each dataset is still built once."""
    from xdist.scheduler import LoadScopeScheduling

    class DatasetScheduling(LoadScopeScheduling):
        def _split_scope(self, nodeid: str) -> str:
            return test_group(nodeid.split("::", 1)[0])

    return DatasetScheduling(config, log)


def pytest_sessionfinish(session: pytest.Session) -> None:
    if hasattr(session.config, "workeroutput"):  # a pytest-xdist worker: the summary goes to the controller
        session.config.workeroutput["dbt_summaries"] = list(_DBT_SUMMARIES)


@pytest.hookimpl(optionalhook=True)
def pytest_testnodedown(node, error) -> None:
    _DBT_SUMMARIES.extend(getattr(node, "workeroutput", {}).get("dbt_summaries", []))


def pytest_terminal_summary(terminalreporter) -> None:
    for line in _DBT_SUMMARIES:
        terminalreporter.write_line(line)


def warehouse_resources() -> dict:
    """The `warehouse` resource (cs_warehouse/warehouse.py) for the settings of the environment as it is now:
    a test's own paths, set with monkeypatch before the call."""
    from cs_warehouse.settings import Settings
    from cs_warehouse.warehouse import WarehouseResource

    return {"warehouse": WarehouseResource.from_settings(Settings.from_env())}


def current_definitions():
    """The code location built for the settings of the environment as it is now (cs_warehouse.definitions
    resolves them once, when it is first imported)."""
    from cs_warehouse.definitions import build_definitions
    from cs_warehouse.settings import Settings

    return build_definitions(Settings.from_env())
