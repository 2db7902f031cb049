"""`python -m cs_warehouse.quality [--docs]`: run every registered suite once and print its wall time.

Uses the same settings as the Dagster checks (CSW_DUCKDB_PATH, CSW_GX_DOCS_DIR, CSW_QUALITY_HISTORY_DIR,
CSW_AS_OF_DATE). Exit status 1 when a critical expectation fails.
"""

from __future__ import annotations

import argparse
import sys
import time
import warnings

from cs_warehouse.quality.runner import run_suite
from cs_warehouse.settings import Settings


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m cs_warehouse.quality", description=__doc__)
    parser.add_argument("--docs", action="store_true", help="also store results and build the Data Docs")
    args = parser.parse_args(argv)
    warnings.filterwarnings("ignore", module="great_expectations")
    from cs_warehouse.defs.quality import _existing_asset_keys, dbt_manifest, reference_time
    from cs_warehouse.quality.suites import all_suites, generic_model_suite

    settings = Settings.from_env()
    suites, manifest = all_suites(), dbt_manifest()
    started, critical_failures = time.perf_counter(), 0
    for key in _existing_asset_keys():
        path = tuple(key.path)
        suite = suites.get(path) or (generic_model_suite(*path, manifest=manifest) if path[0] == "marts" else None)
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
        engines = ",".join(sorted(set(outcome.engines.values())))
        print(
            f"{suite.name:42s} {len(outcome.outcomes):4d} expectations  {outcome.seconds:7.2f}s  {engines:10s} "
            f"critical failed {len(critical)}  warnings {len(warn)}"
        )
        for failure in critical + warn:
            detail = f"unexpected={failure.unexpected_count} observed={failure.observed_value} {failure.error or ''}"
            print(f"    {failure.severity}: {failure.part} {failure.expectation} {failure.column or ''} {detail}")
    print(f"total GX wall time {time.perf_counter() - started:.1f}s")
    return 1 if critical_failures else 0


if __name__ == "__main__":
    sys.exit(main())
