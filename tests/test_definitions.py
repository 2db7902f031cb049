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


def test_the_reporting_time_zone_sets_the_partitions_and_the_schedule(tmp_path, monkeypatch) -> None:
    import dataclasses

    from cs_warehouse.definitions import build_definitions
    from cs_warehouse.settings import Settings
    from tests.landing_factory import write_events

    write_events(tmp_path / "landing", "2025-06-10", [])
    settings = dataclasses.replace(
        Settings.from_env(),
        landing_dir=tmp_path / "landing",
        reporting_timezone="America/New_York",
        events_start_date=None,
    )
    defs = build_definitions(settings)
    partitions = defs.resolve_job_def("nightly_build").partitions_def
    assert partitions.timezone == "America/New_York"
    assert partitions.get_first_partition_key() == "2025-06-10"
    assert defs.resolve_schedule_def("nightly_build_0200_jst").execution_timezone == "America/New_York"


def test_the_warehouse_resource_carries_the_settings_and_names_the_webhook_by_its_variable(monkeypatch) -> None:
    from pathlib import Path

    import dagster as dg

    from cs_warehouse.settings import Settings
    from cs_warehouse.warehouse import WarehouseResource

    secret = "https://hooks.example.invalid/services/T0/B0/s3cr3t"
    monkeypatch.setenv("CSW_NOTIFY_WEBHOOK_URL", secret)
    monkeypatch.setenv("CSW_DUCKDB_PATH", "/tmp/elsewhere/wh.duckdb")
    monkeypatch.setenv("CSW_AS_OF_DATE", "2026-03-31")
    settings = Settings.from_env()
    resource = WarehouseResource.from_settings(settings)
    # The config (what the UI shows) holds the variable's name; the run resolves its value.
    assert isinstance(resource.notify_webhook_url, dg.EnvVar)
    assert resource.notify_webhook_url.env_var_name == "CSW_NOTIFY_WEBHOOK_URL"
    with dg.build_resources({"warehouse": resource}) as resources:
        resolved = resources.warehouse.settings
    assert resolved.notify_webhook_url == secret
    assert resolved.warehouse_path == Path("/tmp/elsewhere/wh.duckdb")
    assert resolved.quality_as_of_date == "2026-03-31"
    assert resolved == settings
