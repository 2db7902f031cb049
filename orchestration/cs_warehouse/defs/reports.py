"""Report assets, built from the serving copy after it was published."""

import dagster as dg

from cs_warehouse.defs.publish import SERVING_KEY
from cs_warehouse.settings import Settings
from cs_warehouse.summary import write_summary


@dg.asset(
    key=["reports", "kpi_summary"],
    group_name="reports",
    deps=[SERVING_KEY],
    kinds={"json"},
    description="Headline KPIs of the latest complete month (warehouse/reports/kpi_summary.json).",
)
def kpi_summary_report() -> dg.MaterializeResult:
    settings = Settings.from_env()
    summary = write_summary(settings.serving_path, settings.reports_dir)
    return dg.MaterializeResult(metadata={k: v for k, v in summary.items() if v is not None})
