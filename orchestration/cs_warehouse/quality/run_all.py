"""`cs-warehouse quality`: run every registered suite once on the warehouse and print its wall time.

Uses the same settings as the Dagster checks (CSW_DUCKDB_PATH, CSW_GX_DOCS_DIR, CSW_QUALITY_HISTORY_DIR,
CSW_AS_OF_DATE). Exit code 1 when a critical expectation fails; with fail_on_warnings also when a warning
fails, or (with dbt_run_results) a dbt node of that build ended other than passed, `warn` tests included:
the check that a clean build raises no warning (`make test-dbt`).
"""

from __future__ import annotations

import time
import warnings
from pathlib import Path

from cs_warehouse.quality.dbt_results import dbt_issues
from cs_warehouse.quality.runner import run_suite
from cs_warehouse.settings import Settings


def run_all_suites(docs: bool = False, fail_on_warnings: bool = False, dbt_run_results: Path | None = None) -> int:
    issues = dbt_issues(dbt_run_results) if dbt_run_results else []
    warnings.filterwarnings("ignore", module="great_expectations")
    from cs_warehouse.defs.quality import _existing_asset_keys, dbt_manifest, reference_time
    from cs_warehouse.quality.suites import all_suites, generic_model_suite, model_columns

    settings = Settings.from_env()
    suites, manifest = all_suites(), dbt_manifest()
    started, critical_failures, warning_failures = time.perf_counter(), 0, 0
    for key in _existing_asset_keys():
        path = tuple(key.path)
        suite = suites.get(path)
        if suite is None and path[0] == "marts":
            suite = generic_model_suite(*path, columns=model_columns(manifest, path[1]))
        if suite is None:
            continue
        outcome = run_suite(
            suite,
            settings.warehouse_path,
            docs_dir=settings.gx_docs_dir if docs else None,
            history_dir=settings.quality_history_dir,
            now=reference_time(settings),
        )
        critical, warn = outcome.failures(critical=True), outcome.failures(critical=False)
        critical_failures += len(critical)
        warning_failures += len(warn)
        engines = ",".join(sorted(set(outcome.engines.values())))
        print(
            f"{suite.name:42s} {len(outcome.outcomes):4d} expectations  {outcome.seconds:7.2f}s  {engines:10s} "
            f"critical failed {len(critical)}  warnings {len(warn)}"
        )
        for failure in critical + warn:
            detail = f"unexpected={failure.unexpected_count} observed={failure.observed_value} {failure.error or ''}"
            print(f"    {failure.severity}: {failure.part} {failure.expectation} {failure.column or ''} {detail}")
    print(f"total GX wall time {time.perf_counter() - started:.1f}s")
    if dbt_run_results:
        print(f"dbt {dbt_run_results}: {len(issues)} node(s) not passed")
        for issue in issues:
            print(f"    {issue}")
    if critical_failures:
        return 1
    if fail_on_warnings and (warning_failures or issues):
        print(f"failed warnings: {warning_failures} GX expectation(s), {len(issues)} dbt node(s)")
        return 1
    return 0
