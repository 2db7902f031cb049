"""The Dagster code location loads with the nightly job, its schedule, sensors and checks.

The whole graph is materialized in-process in tests/test_publish_gate.py."""

from __future__ import annotations


def test_definitions_load_with_the_nightly_job_and_its_schedule() -> None:
    from cs_warehouse.definitions import defs

    job = defs.resolve_job_def("nightly_build")
    schedule = defs.resolve_schedule_def("nightly_build_0200_jst")
    assert schedule.cron_schedule == "0 2 * * *"
    assert schedule.execution_timezone == "Asia/Tokyo"
    assert schedule.job_name == job.name
    graph = defs.resolve_asset_graph()
    keys = {k.to_user_string() for k in graph.get_all_asset_keys()}
    assert {
        "raw/accounts",
        "raw/product_events",
        "marts/mart_mrr_movements",
        "serving/marts",
        "reports/kpi_summary",
    } <= keys
    # dbt tests arrive as asset checks on the model they test
    checks = {(c.asset_key.to_user_string(), c.name) for c in graph.asset_check_keys}
    assert ("marts/mart_mrr_movements", "not_null_mart_mrr_movements_mrr_end") in checks
    assert ("raw/accounts", "rows_reconcile") in checks


def test_dbt_project_preparation_finds_the_virtualenv_dbt_without_it_on_path(monkeypatch, tmp_path) -> None:
    """`make dev` with no activated virtualenv: dagster-dbt's `dbt parse` looks dbt up on PATH only."""
    import os
    import shutil
    import sys
    from pathlib import Path

    from dagster_dbt.dbt_project import DagsterDbtProjectPreparer

    from cs_warehouse.dbt_project import WarehousePreparer
    from cs_warehouse.settings import dbt_executable

    venv_dbt = Path(sys.executable).parent / "dbt"
    assert venv_dbt.exists()
    bare_path = os.pathsep.join([str(tmp_path), "/usr/bin", "/bin"])
    monkeypatch.setenv("PATH", bare_path)
    assert shutil.which("dbt") is None
    assert dbt_executable() == str(venv_dbt)

    found: list[str | None] = []
    monkeypatch.setattr(DagsterDbtProjectPreparer, "prepare", lambda self, project: found.append(shutil.which("dbt")))
    WarehousePreparer().prepare(object())
    assert found == [str(venv_dbt)]
    assert os.environ["PATH"] == bare_path


def test_loading_the_definitions_leaves_great_expectations_to_the_validating_step() -> None:
    """GX takes seconds to import: only the step that validates imports it, never the code location."""
    import subprocess
    import sys

    probe = "import sys, cs_warehouse.definitions; print(sorted(m for m in sys.modules if m.startswith('great_exp')))"
    out = subprocess.run([sys.executable, "-W", "ignore", "-c", probe], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"
