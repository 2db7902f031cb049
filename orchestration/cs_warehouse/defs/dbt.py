"""Every dbt model and seed as a Dagster asset; every dbt test as an asset check on what it tests."""

import sys
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import dagster as dg
from dagster_dbt import DagsterDbtTranslator, DagsterDbtTranslatorSettings, DbtCliResource, dbt_assets

from cs_warehouse.dbt_project import dbt_project


class WarehouseTranslator(DagsterDbtTranslator):
    """Groups assets by layer (staging, intermediate, marts, reference) so the graph reads left to right."""

    def get_group_name(self, dbt_resource_props: Mapping[str, Any]) -> str | None:
        if dbt_resource_props["resource_type"] == "seed":
            return "reference"
        fqn = dbt_resource_props.get("fqn", [])
        return fqn[1] if len(fqn) > 2 else "dbt"


# The nightly's dbt command; `make test-dbt` runs the unit tests.
NIGHTLY_BUILD_ARGS = ["build", "--exclude-resource-type", "unit_test"]

translator = WarehouseTranslator(settings=DagsterDbtTranslatorSettings(enable_asset_checks=True))


@dbt_assets(
    manifest=dbt_project.manifest_path,
    dagster_dbt_translator=translator,
    name="dbt_models",
    retry_policy=dg.RetryPolicy(max_retries=1, delay=15),
)
def dbt_models(context: dg.AssetExecutionContext, dbt: DbtCliResource) -> Iterator[Any]:
    """`dbt build` for the selected models: seeds, models and data tests in dependency order.

    Unit tests check the SQL against hand-worked rows, not the night's data: they run in CI (`make test-dbt`,
    a plain `dbt build`) on every change, and are left out here, where they would only repeat that result."""
    invocation = dbt.cli(NIGHTLY_BUILD_ARGS, context=context)
    try:
        yield from invocation.stream()
    finally:
        # If reading dbt's events failed midway, dbt may still be running and holding the warehouse's
        # write lock; stop it so that a retry, or the next run, can open the file.
        if invocation.process.poll() is None:
            invocation.process.terminate()
            invocation.process.wait(timeout=60)
        release_in_process_dbt_handles()


def release_in_process_dbt_handles() -> None:
    """Close any DuckDB handle dagster-dbt's in-process adapter opened (it reads metadata read-only).

    DuckDB admits one writer per file: a handle left open makes any later writer fail on the file lock.
    """
    from dbt.adapters.factory import reset_adapters

    reset_adapters()
    try:
        from dbt.adapters.duckdb.connections import DuckDBConnectionManager
    except ImportError:  # another adapter: nothing held in this process
        return
    environment = DuckDBConnectionManager._ENV
    if environment is not None:
        environment.close()
    DuckDBConnectionManager.close_all_connections()


def dbt_resource() -> DbtCliResource:
    # The dbt beside this interpreter: the environment that runs Dagster also runs dbt, PATH or not.
    executable = Path(sys.executable).parent / "dbt"
    return DbtCliResource(
        project_dir=dbt_project,
        profiles_dir=str(dbt_project.profiles_dir),
        target=dbt_project.target,
        dbt_executable=str(executable) if executable.exists() else "dbt",
    )
