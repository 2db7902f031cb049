"""The Dagster code location: assembles assets, checks, jobs, schedules, sensors and resources.

The settings are resolved here, once, from the environment; every asset, check and sensor reads them from the
`warehouse` resource (cs_warehouse/warehouse.py). `build_definitions` assembles the code location for other
settings (tests, a second warehouse).
"""

import dagster as dg

from cs_warehouse.defs.dbt import dbt_models, dbt_resource
from cs_warehouse.defs.delivery import alert_delivery
from cs_warehouse.defs.gates import gate_checks
from cs_warehouse.defs.ingestion import build_product_events, events_partitions, ingest_exports, reconciliation_checks
from cs_warehouse.defs.jobs import landing_files_sensor, nightly_build, nightly_failure_notifier, nightly_schedule
from cs_warehouse.defs.publish import serving_marts
from cs_warehouse.defs.quality import quality_checks
from cs_warehouse.defs.reports import kpi_report, kpi_summary_report
from cs_warehouse.settings import Settings
from cs_warehouse.warehouse import WarehouseResource


def build_definitions(settings: Settings) -> dg.Definitions:
    """The code location for `settings`: the event partitions start at its landing folder's first day and
    follow its reporting time zone; the `warehouse` and `dbt` resources carry its paths and dbt target."""
    product_events = build_product_events(events_partitions(settings))
    return dg.Definitions(
        assets=[
            ingest_exports,
            product_events,
            dbt_models,
            serving_marts,
            kpi_summary_report,
            kpi_report,
            alert_delivery,
        ],
        asset_checks=[*reconciliation_checks, *quality_checks, *gate_checks],
        jobs=[nightly_build],
        schedules=[nightly_schedule],
        sensors=[landing_files_sensor, nightly_failure_notifier],
        resources={"warehouse": WarehouseResource.from_settings(settings), "dbt": dbt_resource(settings)},
    )


settings = Settings.from_env()
defs = build_definitions(settings)
