"""Great Expectations suites as Dagster asset checks, two per guarded asset:

- `gx_critical` (blocking, severity ERROR): a failing critical expectation stops everything downstream;
- `gx_warnings` (not blocking, severity WARN): recorded on the asset, the run goes on.

Both come from one validation of the suite (a multi-asset check), so the data is read once. Checks are
registered only for assets that exist: raw entities of the contract and dbt models in the manifest; a
suite written for a mart that is not built yet waits until the model lands.
"""

import datetime as dt
import json
from collections.abc import Callable, Iterable, Iterator
from typing import Any
from zoneinfo import ZoneInfo

import dagster as dg

from cs_warehouse.quality.runner import ExpectationOutcome, SuiteOutcome, run_suite
from cs_warehouse.quality.spec import Suite
from cs_warehouse.quality.suites import all_suites, generic_model_suite
from cs_warehouse.settings import Settings

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


def _result(check_name: str, asset_key: dg.AssetKey, failures: list[ExpectationOutcome], outcome: SuiteOutcome,
            severity: dg.AssetCheckSeverity) -> dg.AssetCheckResult:  # fmt: skip
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
    if outcome.docs_index is not None:
        metadata["data_docs"] = dg.MetadataValue.path(str(outcome.docs_index))
    return dg.AssetCheckResult(
        asset_key=asset_key, check_name=check_name, passed=not failures, severity=severity, metadata=metadata
    )


def build_suite_check(
    suite: Suite, settings_factory: Callable[[], Settings] = Settings.from_env
) -> dg.AssetChecksDefinition:
    asset_key = dg.AssetKey(list(suite.asset_key))

    @dg.multi_asset_check(
        name=f"gx_{'__'.join(suite.asset_key)}",
        specs=[
            dg.AssetCheckSpec(
                CRITICAL_CHECK,
                asset=asset_key,
                blocking=True,
                description=f"Critical expectations of GX suite {suite.name}. {suite.description}",
            ),
            dg.AssetCheckSpec(
                WARNING_CHECK, asset=asset_key, description=f"Warning expectations of GX suite {suite.name}."
            ),
        ],
        can_subset=True,
    )
    def check(context: dg.AssetCheckExecutionContext) -> Iterator[dg.AssetCheckResult]:
        settings = settings_factory()
        outcome = run_suite(
            suite,
            settings.warehouse_path,
            docs_dir=settings.gx_docs_dir,
            history_dir=settings.quality_history_dir,
            now=reference_time(settings),
        )
        context.log.info(f"GX suite {suite.name}: {len(outcome.outcomes)} expectations in {outcome.seconds:.2f}s")
        selected = {key.name for key in context.selected_asset_check_keys}
        if CRITICAL_CHECK in selected:
            yield _result(
                CRITICAL_CHECK, asset_key, outcome.failures(critical=True), outcome, dg.AssetCheckSeverity.ERROR
            )
        if WARNING_CHECK in selected:
            yield _result(
                WARNING_CHECK, asset_key, outcome.failures(critical=False), outcome, dg.AssetCheckSeverity.WARN
            )

    return check


def build_quality_checks(
    existing: Iterable[dg.AssetKey],
    suites: dict[tuple[str, ...], Suite] | None = None,
    settings_factory: Callable[[], Settings] = Settings.from_env,
) -> list[dg.AssetChecksDefinition]:
    """Checks for the suites whose asset exists; marts without a handwritten suite get the baseline one."""
    suites = all_suites() if suites is None else suites
    manifest = dbt_manifest()
    checks = []
    for key in sorted(existing, key=lambda k: k.to_user_string()):
        path = tuple(key.path)
        suite = suites.get(path)
        if suite is None and len(path) == 2 and path[0] == "marts":
            suite = generic_model_suite(*path, manifest=manifest)
        if suite is not None:
            checks.append(build_suite_check(suite, settings_factory))
    return checks


def dbt_manifest() -> dict:
    """The parsed dbt manifest (the marts' declared keys, not-nulls and accepted values feed their suites)."""
    from cs_warehouse.dbt_project import dbt_project

    return json.loads(dbt_project.manifest_path.read_text(encoding="utf-8"))


def _existing_asset_keys() -> list[dg.AssetKey]:
    from cs_warehouse.defs.dbt import dbt_models
    from cs_warehouse.defs.ingestion import SNAPSHOT_ENTITIES, raw_asset_key
    from cs_warehouse.defs.ingestion import product_events as product_events_asset

    return [*(raw_asset_key(e.name) for e in SNAPSHOT_ENTITIES), product_events_asset.key, *dbt_models.keys]


quality_checks: list[dg.AssetChecksDefinition] = build_quality_checks(_existing_asset_keys())
