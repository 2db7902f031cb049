"""Great Expectations suites as Dagster asset checks, two per guarded asset:

- `gx_critical` (blocking, severity ERROR): a failing critical expectation stops everything downstream;
- `gx_warnings` (not blocking, severity WARN): recorded on the asset, the run goes on.

Both come from one validation of the suite, so the data is read once. The suites of one layer run in one
step (`gx_raw`, `gx_marts`; the partitioned event table in a step of its own): each asset still has its own
two checks, severities and metadata, while the step's fixed cost (Dagster's step events, GX's Data Docs
index) is paid once per layer instead of once per suite. A layer's step runs once every asset of the layer
is built, which is when what is downstream of them could start anyway. Checks are registered only for assets
that exist: raw entities of the contract and dbt models in the manifest; a suite written for a mart that is
not built yet waits until the model lands.

A suite is validated only when something it reads changed since it last passed (quality/change.py): a new
load of a raw table it reads, or a model dbt rebuilt tonight, and everything on the weekly full check. A
suite with nothing new reports the outcome it passed with, marked `skipped: nothing new since load N`, and
tonight's freshness; a step whose suites all have nothing new does not import Great Expectations.
"""

import datetime as dt
import json
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

import dagster as dg

from cs_warehouse.quality import change, scope
from cs_warehouse.quality.spec import CRITICAL, Suite
from cs_warehouse.quality.suites import all_suites, generic_model_suite, model_columns
from cs_warehouse.settings import Settings, profile_output
from cs_warehouse.warehouse import WarehouseResource

if TYPE_CHECKING:
    from cs_warehouse.quality.runner import ExpectationOutcome, SuiteOutcome

CRITICAL_CHECK = "gx_critical"
WARNING_CHECK = "gx_warnings"
# Failing expectations listed in full in the metadata; the counts always cover all of them.
MAX_LISTED_FAILURES = 25


def reference_time(settings: Settings) -> dt.datetime:
    """End of the as-of day in the reporting zone when one is set (reruns of a past night), else now."""
    if not settings.quality_as_of_date:
        return dt.datetime.now(dt.UTC)
    day = dt.date.fromisoformat(settings.quality_as_of_date) + dt.timedelta(days=1)
    return dt.datetime.combine(day, dt.time(), tzinfo=ZoneInfo(settings.reporting_timezone))


def _result(check_name: str, asset_key: dg.AssetKey, failures: list["ExpectationOutcome"], outcome: "SuiteOutcome",
            severity: dg.AssetCheckSeverity, docs_index: Path | None,
            load_scope: scope.Scope | None = None) -> dg.AssetCheckResult:  # fmt: skip
    metadata: dict[str, Any] = {
        "suite": outcome.suite.name,
        "expectations_evaluated": len(outcome.outcomes),
        "failing_expectations": len(failures),
        "failing_rows": sum(f.unexpected_count or 0 for f in failures),
        "failures": dg.MetadataValue.json([f.as_metadata() for f in failures[:MAX_LISTED_FAILURES]]),
        "engines": dg.MetadataValue.json(outcome.engines),
        "row_counts": dg.MetadataValue.json({p.name: p.row_count for p in outcome.parts}),
        "gx_seconds": round(outcome.seconds, 3),
    }
    if load_scope is not None:
        metadata["rows_checked"] = load_scope.describe()
        metadata["scope_reason"] = load_scope.reason
    if docs_index is not None:
        metadata["data_docs"] = dg.MetadataValue.path(str(docs_index))
    return dg.AssetCheckResult(
        asset_key=asset_key, check_name=check_name, passed=not failures, severity=severity, metadata=metadata
    )


def build_suite_check(suite: Suite) -> dg.AssetChecksDefinition:
    """The checks of one suite in a step of their own."""
    return build_layer_check(f"gx_{'__'.join(suite.asset_key)}", [suite])


def build_layer_check(name: str, suites: list[Suite]) -> dg.AssetChecksDefinition:
    """One step validating `suites`, with a critical and a warning check on each suite's asset."""
    specs = []
    for suite in suites:
        asset_key = dg.AssetKey(list(suite.asset_key))
        specs += [
            dg.AssetCheckSpec(
                CRITICAL_CHECK,
                asset=asset_key,
                blocking=True,
                description=f"Critical expectations of GX suite {suite.name}. {suite.description}",
            ),
            dg.AssetCheckSpec(
                WARNING_CHECK, asset=asset_key, description=f"Warning expectations of GX suite {suite.name}."
            ),
        ]

    @dg.multi_asset_check(name=name, specs=specs, can_subset=True)
    def check(context: dg.AssetCheckExecutionContext, warehouse: WarehouseResource) -> Iterator[dg.AssetCheckResult]:
        settings = warehouse.settings
        now = reference_time(settings)
        tonight = change.Tonight.read(
            settings.warehouse_path,
            settings.quality_history_dir,
            dbt_manifest_or_none,
            duckdb_file=profile_output(settings.dbt_target).get("type") == "duckdb",
        )
        due = []
        for suite in suites:
            asset_key = dg.AssetKey(list(suite.asset_key))
            selected = {key.name for key in context.selected_asset_check_keys if key.asset_key == asset_key}
            if not selected:
                continue
            decision = change.decide(settings.quality_history_dir, suite, tonight, now)
            if decision.validate:
                context.log.info(f"GX suite {suite.name}: validating ({decision.reason})")
                due.append((suite, asset_key, selected, decision))
                continue
            context.log.info(f"GX suite {suite.name}: skipped: {decision.reason}")
            yield from _skipped_results(suite, asset_key, selected, decision, settings, now)
        if due:
            yield from _validate(context, due, settings, now)

    return check


def _validate(context: dg.AssetCheckExecutionContext, due: list, settings: Settings,
              now: dt.datetime) -> Iterator[dg.AssetCheckResult]:  # fmt: skip
    """Validate the suites with something new, and move their records when their critical expectations pass."""
    # Great Expectations is imported here, by a step that validates, not when the definitions load.
    from cs_warehouse.quality.runner import build_data_docs, run_suite

    docs_dir = settings.gx_docs_dir
    docs_index = docs_dir / "index.html"
    stored = []
    for suite, asset_key, selected, decision in due:
        load_scope = None
        if suite.checked_by_load:
            latest = scope.latest_load(settings.warehouse_path, suite.asset_key[-1])
            load_scope = scope.decide(settings.quality_history_dir, f"gx.{suite.name}", latest, now)
            context.log.info(f"GX suite {suite.name}: {load_scope.describe()} ({load_scope.reason})")
        outcome = run_suite(
            suite,
            settings.warehouse_path,
            docs_dir=docs_dir,
            history_dir=settings.quality_history_dir,
            now=now,
            build_docs=False,
            after_load=load_scope.after_load if load_scope else None,
        )
        if not outcome.failures(critical=True):
            if load_scope is not None:
                scope.record_pass(settings.quality_history_dir, f"gx.{suite.name}", load_scope, now)
            warnings = [f.as_metadata() for f in outcome.failures(critical=False) if not f.part.endswith("_freshness")]
            full = load_scope is None or load_scope.full
            change.record_pass(settings.quality_history_dir, suite, decision, now, full=full, warnings=warnings)
        stored += outcome.stored
        context.log.info(f"GX suite {suite.name}: {len(outcome.outcomes)} expectations in {outcome.seconds:.2f}s")
        if CRITICAL_CHECK in selected:
            failures = outcome.failures(critical=True)
            yield _result(
                CRITICAL_CHECK, asset_key, failures, outcome, dg.AssetCheckSeverity.ERROR, docs_index, load_scope
            )
        if WARNING_CHECK in selected:
            failures = outcome.failures(critical=False)
            yield _result(
                WARNING_CHECK, asset_key, failures, outcome, dg.AssetCheckSeverity.WARN, docs_index, load_scope
            )
    if stored:
        build_data_docs(docs_dir, stored)


def _skipped_results(suite: Suite, asset_key: dg.AssetKey, selected: set[str], decision: change.Decision,
                     settings: Settings, now: dt.datetime) -> Iterator[dg.AssetCheckResult]:  # fmt: skip
    """The checks of a suite with nothing new: the outcome it last passed with (its critical expectations
    passed, or it would not have been skipped; its failing warnings are listed again), and tonight's
    freshness, which depends on the clock."""
    previous = decision.previous or {}
    fresh = change.freshness_failures(suite, settings.warehouse_path, now)
    for check_name, critical, severity in (
        (CRITICAL_CHECK, True, dg.AssetCheckSeverity.ERROR),
        (WARNING_CHECK, False, dg.AssetCheckSeverity.WARN),
    ):
        if check_name not in selected:
            continue
        failures = [f for f in fresh if (f["severity"] == CRITICAL.value) == critical]
        if not critical:
            failures = list(previous.get("warnings", [])) + failures
        metadata: dict[str, Any] = {
            "suite": suite.name,
            "skipped": f"skipped: {decision.reason}",
            "last_validated_at": previous.get("validated_at", ""),
            "failing_expectations": len(failures),
            "failures": dg.MetadataValue.json(failures[:MAX_LISTED_FAILURES]),
        }
        yield dg.AssetCheckResult(
            asset_key=asset_key, check_name=check_name, passed=not failures, severity=severity, metadata=metadata
        )


def build_quality_checks(
    existing: Iterable[dg.AssetKey],
    suites: dict[tuple[str, ...], Suite] | None = None,
    own_step: Iterable[dg.AssetKey] = (),
) -> list[dg.AssetChecksDefinition]:
    """Checks for the suites whose asset exists, one step per layer (`gx_<layer>`); marts without a
    handwritten suite get the baseline one. Assets in `own_step` (a partitioned table) get a step each."""
    suites = all_suites() if suites is None else suites
    own_step = set(own_step)
    manifest = dbt_manifest()
    layers: dict[str, list[Suite]] = {}
    for key in sorted(existing, key=lambda k: k.to_user_string()):
        path = tuple(key.path)
        suite = suites.get(path)
        if suite is None and len(path) == 2 and path[0] == "marts":
            suite = generic_model_suite(*path, columns=model_columns(manifest, path[1]))
        if suite is not None:
            step = f"gx_{'__'.join(path)}" if key in own_step else f"gx_{path[0]}"
            layers.setdefault(step, []).append(suite)
    return [build_layer_check(step, layer) for step, layer in layers.items()]


def dbt_manifest_or_none() -> dict | None:
    """The parsed dbt manifest, None when there is none (the suites reading models are then validated)."""
    from cs_warehouse.dbt_project import dbt_project

    path = dbt_project.manifest_path
    return json.loads(path.read_text(encoding="utf-8")) if path.exists() else None


def dbt_manifest() -> dict:
    """The parsed dbt manifest (the marts' documented columns: fraction-named ones get a range warning)."""
    from cs_warehouse.dbt_project import dbt_project

    return json.loads(dbt_project.manifest_path.read_text(encoding="utf-8"))


def _existing_asset_keys() -> list[dg.AssetKey]:
    from cs_warehouse.defs.dbt import dbt_models
    from cs_warehouse.defs.ingestion import EVENTS_KEY, SNAPSHOT_ENTITIES, raw_asset_key

    return [*(raw_asset_key(e.name) for e in SNAPSHOT_ENTITIES), EVENTS_KEY, *dbt_models.keys]


def _partitioned_asset_keys() -> list[dg.AssetKey]:
    from cs_warehouse.defs.ingestion import EVENTS_KEY

    return [EVENTS_KEY]


quality_checks: list[dg.AssetChecksDefinition] = build_quality_checks(
    _existing_asset_keys(), own_step=_partitioned_asset_keys()
)
