"""Every dbt model and seed as a Dagster asset; every dbt test as an asset check on what it tests."""

import datetime as dt
import functools
import graphlib
import importlib.metadata
import json
import re
import sys
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import dagster as dg
import duckdb
from dagster_dbt import DagsterDbtTranslator, DagsterDbtTranslatorSettings, DbtCliResource, dbt_assets
from packaging import version

from cs_warehouse import build_state
from cs_warehouse.dbt_project import dbt_project
from cs_warehouse.publish import keep_built_dbt_state
from cs_warehouse.quality import scope
from cs_warehouse.settings import PROJECT_DIR, Settings, dbt_executable, profile_output
from cs_warehouse.warehouse import WarehouseResource, connect_warehouse


class WarehouseTranslator(DagsterDbtTranslator):
    """Groups assets by layer (staging, intermediate, marts, reference) so the graph reads left to right."""

    def get_group_name(self, dbt_resource_props: Mapping[str, Any]) -> str | None:
        if dbt_resource_props["resource_type"] == "seed":
            return "reference"
        fqn = dbt_resource_props.get("fqn", [])
        return fqn[1] if len(fqn) > 2 else "dbt"


# The nightly's dbt command; `make test-dbt` runs the unit tests.
NIGHTLY_BUILD_ARGS = ["build", "--exclude-resource-type", "unit_test"]
# The generic tests that can check only what new loads wrote (macros/tests/unique_key_by_load.sql on the event
# keys, macros/tests/usage_rows_by_load.sql on the incremental usage models), the dbt variable they read
# (set with --vars), and the name of their watermark (quality/scope.py).
KEY_TEST = "unique_key_by_load"
SCOPED_TESTS = (KEY_TEST, "usage_rows_by_load")
KEY_TEST_VAR = "checks_after_load"
KEY_TEST_SCOPE = "dbt.event_keys"
LOAD_ID = re.compile(r"^[0-9A-Za-z_-]+$")

translator = WarehouseTranslator(settings=DagsterDbtTranslatorSettings(enable_asset_checks=True))


@dbt_assets(
    manifest=dbt_project.manifest_path,
    dagster_dbt_translator=translator,
    name="dbt_models",
    retry_policy=dg.RetryPolicy(max_retries=1, delay=15),
)
def dbt_models(context: dg.AssetExecutionContext, dbt: DbtCliResource, warehouse: WarehouseResource) -> Iterator[Any]:
    """`dbt build` for the selected models: seeds, models and data tests in dependency order.

    Unit tests check the SQL against hand-worked rows, not the night's data: they run in CI (`make test-dbt`,
    a plain `dbt build`) on every change, and are left out here, where they would only repeat that result."""
    settings = warehouse.settings
    now = dt.datetime.now(dt.UTC)
    manifest = json.loads(dbt_project.manifest_path.read_text(encoding="utf-8"))
    state, todo = build_plan(settings, manifest)
    context.log.info(f"dbt build: {todo.reason}" + (f" (--select {' '.join(todo.select)})" if todo.select else ""))
    # Nodes with nothing new upstream are reported first, upstream before downstream (Dagster's rule for a
    # multi-asset; no built node is upstream of one left out). Nothing new at all: dbt is not started.
    if todo.select == []:
        unchanged = set(context.selected_asset_keys)
    else:
        left_out = {translator.get_asset_key(manifest["nodes"][uid]) for uid in todo.left_out(manifest)}
        unchanged = left_out & set(context.selected_asset_keys)
    for key in _topological(unchanged, context.assets_def.asset_deps):
        yield dg.MaterializeResult(asset_key=key, metadata={"dbt": UNCHANGED})
    if todo.select == []:
        yield from _unchanged_check_results(context, manifest, set(), set())
        return
    key_scope = event_key_scope(settings, now)
    if key_scope is not None:
        context.log.info(f"Event-key tests: {key_scope.describe()} ({key_scope.reason})")
    after_load = key_scope.after_load if key_scope is not None else None
    exclude = todo.exclude(manifest) if todo.select else []
    if exclude:
        context.log.info(f"dbt build: {len(exclude)} models and seeds left out (nothing new upstream)")
    # A run of part of the graph (picked in the UI) keeps dagster-dbt's own test selection.
    args = nightly_build_args(settings, after_load) + exclusion_args(exclude, keep_tests=not context.is_subset)
    invocation = dbt.cli(args, context=context)
    try:
        evaluated = set()
        for event in invocation.stream():
            if isinstance(event, dg.AssetCheckResult):
                evaluated.add(dg.AssetCheckKey(event.asset_key, event.check_name))
            yield event
        if invocation.is_successful():
            built = set(manifest["nodes"]) - set(todo.left_out(manifest)) if todo.select else set(manifest["nodes"])
            yield from _unchanged_check_results(context, manifest, built, evaluated)
        if key_scope is not None and key_tests_passed(invocation.get_artifact("run_results.json")):
            scope.record_pass(settings.quality_history_dir, KEY_TEST_SCOPE, key_scope, now)
        if invocation.is_successful():
            keep_built_dbt_state(invocation.target_path, settings.warehouse_path)
            if state is not None:
                build_state.record(settings.quality_history_dir, state)
    finally:
        # If reading dbt's events failed midway, dbt may still be running and holding the warehouse's
        # write lock; stop it so that a retry, or the next run, can open the file.
        if invocation.process.poll() is None:
            invocation.process.terminate()
            invocation.process.wait(timeout=60)


def _unchanged_check_results(
    context: dg.AssetExecutionContext, manifest: dict, built: set[str], evaluated: set[dg.AssetCheckKey]
) -> Iterator[dg.AssetCheckResult]:
    """The checks dbt did not run tonight because nothing they read was rebuilt (`built`: the unique ids dbt
    built). A build is recorded only when all its tests passed, and their inputs have not changed since, so each
    reports that pass, saying it was not run, instead of leaving the publish gate without a result. A check
    with a rebuilt input that dbt did not run gets no result."""
    tests = {n["name"]: n for n in manifest["nodes"].values() if n["resource_type"] == "test"}
    for check in sorted(context.selected_asset_check_keys, key=lambda k: (k.asset_key.to_user_string(), k.name)):
        test = tests.get(check.name)
        if check in evaluated or test is None or set(test["depends_on"]["nodes"]) & built:
            continue
        yield dg.AssetCheckResult(
            asset_key=check.asset_key, check_name=check.name, passed=True, metadata={"dbt": UNCHANGED_CHECK}
        )


def _topological(keys: set[dg.AssetKey], deps: Mapping[dg.AssetKey, set[dg.AssetKey]]) -> list[dg.AssetKey]:
    """`keys`, each after the ones of them it depends on."""
    order = graphlib.TopologicalSorter({key: deps.get(key, set()) & keys for key in keys})
    return list(order.static_order())


UNCHANGED = "not rebuilt: nothing new upstream since its last successful build (cs_warehouse/build_state.py)"
UNCHANGED_CHECK = "not run tonight: its model was not rebuilt (nothing new upstream); passed on the build it comes from"


def build_plan(settings: Settings, manifest: dict) -> tuple[dict | None, build_state.Plan]:
    """Tonight's inputs and what dbt has to build for them (build_state.py). Only on DuckDB's file, whose
    loads this process can read; another warehouse builds everything."""
    if profile_output(settings.dbt_target).get("type") != "duckdb":
        return None, build_state.Plan(None, "every node (the loads of this warehouse are not read here)")
    state = build_state.current_state(
        manifest,
        PROJECT_DIR / "dbt_project.yml",
        settings.dbt_target,
        {},
        reporting_day(settings),
        settings.warehouse_path,
    )
    previous = build_state.read(settings.quality_history_dir)
    return state, build_state.plan(previous, state, manifest, force_full=scope.full_checks_forced())


def reporting_day(settings: Settings, today: dt.date | None = None) -> dt.date:
    """dbt's as_of_date tonight: CSW_AS_OF_DATE, else the last complete day: yesterday in the reporting time
    zone (today's events are still arriving), or the last day the warehouse has product data for when that is
    earlier (an export that stopped, a landing folder from the past)."""
    if settings.quality_as_of_date:
        return dt.date.fromisoformat(settings.quality_as_of_date)
    today = today or dt.datetime.now(ZoneInfo(settings.reporting_timezone)).date()
    return default_reporting_day(today, last_data_day(settings))


def default_reporting_day(today: dt.date, last_data: dt.date | None) -> dt.date:
    """The last complete day: yesterday, or `last_data` (the last day with data) when that is earlier."""
    yesterday = today - dt.timedelta(days=1)
    return yesterday if last_data is None else min(yesterday, last_data)


def last_data_day(settings: Settings) -> dt.date | None:
    """The last day in the reporting time zone with product events (or daily usage rows) in the warehouse's
    raw schema; None when there are none, or where the raw schema is not this process's DuckDB file."""
    if profile_output(settings.dbt_target).get("type") != "duckdb" or not settings.warehouse_path.exists():
        return None
    zone = ZoneInfo(settings.reporting_timezone)
    days: list[dt.date] = []
    with connect_warehouse(settings.warehouse_path, read_only=True) as con:
        for sql in (
            'select max("timestamp") from raw.product_events',
            "select max(usage_date) from raw.product_usage_daily",
        ):
            try:
                row = con.execute(sql).fetchone()
            except duckdb.CatalogException:  # the table was never created: nothing of that kind loaded
                continue
            value = row[0] if row else None
            if isinstance(value, dt.datetime):
                days.append(value.astimezone(zone).date())
            elif isinstance(value, dt.date):
                days.append(value)
    return max(days, default=None)


def check_reporting_timezone(settings: Settings) -> None:
    """The zone of the nightly's reporting day (CSW_REPORTING_TIMEZONE) is the zone dbt cuts the KPI days in (var
    `reporting_timezone` in dbt_project.yml): two zones would build one day's KPIs from another day's events.
    Raises ValueError naming both when they differ."""
    import yaml

    project_file = PROJECT_DIR / "dbt_project.yml"
    project_vars = yaml.safe_load(project_file.read_text(encoding="utf-8")).get("vars") or {}
    dbt_zone = project_vars.get("reporting_timezone")
    if dbt_zone is not None and dbt_zone != settings.reporting_timezone:
        raise ValueError(
            f"CSW_REPORTING_TIMEZONE={settings.reporting_timezone!r} differs from the dbt var "
            f"reporting_timezone={dbt_zone!r} in {project_file}: the nightly's reporting day and the KPIs' days "
            "would be cut in different time zones; set both to the same zone"
        )


def nightly_build_args(settings: Settings, after_load: str | None = None) -> list[str]:
    """The nightly's dbt command, with dbt's `as_of_date` set to the reporting day (reporting_day): the
    freshness checks use the same day, and a night that runs past midnight, or a re-run the next day with
    CSW_AS_OF_DATE, computes the same day's KPIs. With `after_load` (event_key_scope), the load-scoped tests
    check only the rows of later loads (their `checks_after_load` variable)."""
    check_reporting_timezone(settings)
    dbt_vars = {"as_of_date": reporting_day(settings).isoformat()}
    if after_load:
        dbt_vars[KEY_TEST_VAR] = after_load
    return [*NIGHTLY_BUILD_ARGS, "--vars", json.dumps(dbt_vars)]


def exclusion_args(exclude: list[str], keep_tests: bool = True) -> list[str]:
    """dbt's `--exclude` of the models and seeds with nothing new upstream (Plan.exclude). dbt's default (eager)
    indirect selection would also leave out every test that reads one of them, such as a relationship from an
    unchanged table to a rebuilt one, or a reconciliation of a rebuilt mart with an unchanged one; with
    `keep_tests`, cautious selection leaves out only the tests whose models are all left out."""
    if not exclude:
        return []
    return ["--exclude", " ".join(exclude)] + (["--indirect-selection", "cautious"] if keep_tests else [])


def event_key_scope(settings: Settings, now: dt.datetime) -> scope.Scope | None:
    """Tonight's scope of the event-key tests; None where it cannot be known (a warehouse other than DuckDB's
    file, whose loads this process does not see): the tests then check every key."""
    if profile_output(settings.dbt_target).get("type") != "duckdb":
        return None
    latest = scope.latest_load(settings.warehouse_path, "product_events")
    decided = scope.decide(settings.quality_history_dir, KEY_TEST_SCOPE, latest, now)
    if decided.after_load is not None and not LOAD_ID.match(decided.after_load):
        return scope.Scope(None, decided.through_load, f"unexpected load id {decided.after_load!r}")
    return decided


def key_tests_passed(run_results: Mapping[str, Any]) -> bool:
    """Every load-scoped test of the project (SCOPED_TESTS) ran in this invocation and passed."""
    manifest = json.loads(dbt_project.manifest_path.read_text(encoding="utf-8"))
    expected = {
        unique_id
        for unique_id, node in manifest["nodes"].items()
        if node.get("resource_type") == "test" and (node.get("test_metadata") or {}).get("name") in SCOPED_TESTS
    }
    passed = {r["unique_id"] for r in run_results.get("results", []) if r.get("status") == "pass"}
    return bool(expected) and expected <= passed


class WarehouseDbtResource(DbtCliResource):
    """dagster-dbt's dbt resource without two start-up costs of every invocation that the warehouse has no use
    for (about 6 s a night on this project's 2-core reference machine; docs/performance.md):

    - the version of dbt, which dagster-dbt learns by running `dbt --version` (4 s): for the dbt beside this
      interpreter, it is the installed dbt-core package's;
    - a dbt adapter opened in this process to read table metadata (row counts, column types) that the assets
      do not ask for (1.7 s, and a read-only handle on the warehouse file that would block the next writer
      until released).

    Both override private members of dagster-dbt (pinned in requirements.lock);
    tests/test_dbt_resource.py fails when they no longer exist."""

    @functools.cached_property
    def _cli_version(self) -> version.Version:
        if Path(self.dbt_executable).parent == Path(sys.executable).parent:
            return version.parse(importlib.metadata.version("dbt-core"))
        return DbtCliResource._cli_version.func(self)  # another dbt: ask it

    def _initialize_dbt_core_adapter(self, args: Sequence[str]) -> None:  # type: ignore[override]
        return None


def dbt_resource(settings: Settings) -> DbtCliResource:
    """dbt on the project, with the target of `settings`, run by the dbt beside this interpreter."""
    return WarehouseDbtResource(
        project_dir=dbt_project,
        profiles_dir=str(dbt_project.profiles_dir),
        target=settings.dbt_target,
        dbt_executable=dbt_executable(),
    )
