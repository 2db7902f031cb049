"""`python -m cs_warehouse.quality [--docs] [--fail-on-warnings] [--dbt-run-results PATH]`: run every registered
suite once and print its wall time.

Uses the same settings as the Dagster checks (CSW_DUCKDB_PATH, CSW_GX_DOCS_DIR, CSW_QUALITY_HISTORY_DIR,
CSW_AS_OF_DATE). Exit status 1 when a critical expectation fails; with --fail-on-warnings also when a warning
fails, or (with --dbt-run-results) a dbt node of that build ended other than passed, `warn` tests included:
the check that a clean build raises no warning (`make test-dbt`).
"""

from __future__ import annotations

import argparse
import sys
import time
import warnings
from pathlib import Path

from cs_warehouse.quality.dbt_results import dbt_issues
from cs_warehouse.quality.runner import run_suite
from cs_warehouse.settings import Settings


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m cs_warehouse.quality", description=__doc__)
    parser.add_argument("--docs", action="store_true", help="also store results and build the Data Docs")
    parser.add_argument("--fail-on-warnings", action="store_true", help="exit 1 when any warning fails too")
    parser.add_argument("--dbt-run-results", type=Path, help="dbt's run_results.json: its warn/failed nodes count too")
    args = parser.parse_args(argv)
    issues = dbt_issues(args.dbt_run_results) if args.dbt_run_results else []
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
            docs_dir=settings.gx_docs_dir if args.docs else None,
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
    if args.dbt_run_results:
        print(f"dbt {args.dbt_run_results}: {len(issues)} node(s) not passed")
        for issue in issues:
            print(f"    {issue}")
    if critical_failures:
        return 1
    if args.fail_on_warnings and (warning_failures or issues):
        print(f"failed warnings: {warning_failures} GX expectation(s), {len(issues)} dbt node(s)")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
