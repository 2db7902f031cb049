"""The Dagster code location: assembles assets, checks, jobs, schedules, sensors and resources."""

import dagster as dg

from cs_warehouse.defs.dbt import dbt_models, dbt_resource
from cs_warehouse.defs.delivery import alert_delivery
from cs_warehouse.defs.gates import gate_checks
from cs_warehouse.defs.ingestion import ingest_exports, product_events, reconciliation_checks
from cs_warehouse.defs.jobs import landing_files_sensor, nightly_build, nightly_failure_notifier, nightly_schedule
from cs_warehouse.defs.publish import serving_marts
from cs_warehouse.defs.quality import quality_checks
from cs_warehouse.defs.reports import kpi_report, kpi_summary_report

defs = dg.Definitions(
    assets=[ingest_exports, product_events, dbt_models, serving_marts, kpi_summary_report, kpi_report, alert_delivery],
    asset_checks=[*reconciliation_checks, *quality_checks, *gate_checks],
    jobs=[nightly_build],
    schedules=[nightly_schedule],
    sensors=[landing_files_sensor, nightly_failure_notifier],
    resources={"dbt": dbt_resource()},
)
