"""The Dagster code location: assembles assets, checks, jobs, schedules and resources."""

from __future__ import annotations

import dagster as dg

from cs_warehouse.defs.dbt import dbt_models, dbt_resource
from cs_warehouse.defs.ingestion import ingest_landing_files, reconciliation_checks
from cs_warehouse.defs.jobs import nightly_build, nightly_schedule
from cs_warehouse.defs.reports import kpi_summary_report

defs = dg.Definitions(
    assets=[ingest_landing_files, dbt_models, kpi_summary_report],
    asset_checks=reconciliation_checks,
    jobs=[nightly_build],
    schedules=[nightly_schedule],
    resources={"dbt": dbt_resource()},
)
