"""Report assets, built from the serving copy after it was published."""

import dagster as dg

from cs_warehouse.defs.publish import SERVING_KEY
from cs_warehouse.report import build_kpi_report
from cs_warehouse.summary import write_summary
from cs_warehouse.warehouse import WarehouseResource


@dg.asset(
    key=["reports", "kpi_summary"],
    group_name="reports",
    deps=[SERVING_KEY],
    kinds={"json"},
    description="Headline KPIs of the latest complete month (warehouse/reports/kpi_summary.json).",
)
def kpi_summary_report(warehouse: WarehouseResource) -> dg.MaterializeResult:
    settings = warehouse.settings
    summary = write_summary(settings.serving_path, settings.reports_dir)
    return dg.MaterializeResult(metadata={k: v for k, v in summary.items() if v is not None})


@dg.asset(
    key=["reports", "kpi_report"],
    group_name="reports",
    deps=[SERVING_KEY],
    kinds={"html"},
    description="Nightly KPI report, static HTML readable offline (warehouse/reports/report.ja.html, report.en.html): "
    "KPI tiles vs target, MRR waterfall, NRR/GRR and churn trends, churn and cohort heatmaps, onboarding, usage, "
    "NPS, health bands and at-risk accounts; the team page (team.ja.html: touch coverage by tier, alert response, "
    "workload per CSM) and a page per CSM (csm/<user id>.ja.html: open alerts with evidence, accounts by health "
    "band, touches due this month, renewals in 90 days). Reads the marts by their contracts "
    "(target/manifest.json): a missing column fails the asset, naming it; a mart with no rows shows as no data.",
)
def kpi_report(warehouse: WarehouseResource) -> dg.MaterializeResult:
    settings = warehouse.settings
    report = build_kpi_report(settings.serving_path, settings.reports_dir, zone=settings.reporting_timezone)
    pages, data = report.pages, report.data
    return dg.MaterializeResult(
        metadata={
            "report_ja": dg.MetadataValue.path(str(pages["ja"])),
            "report_en": dg.MetadataValue.path(str(pages["en"])),
            "team_ja": dg.MetadataValue.path(str(report.team_pages["ja"])),
            "csm_pages": len(report.csm_pages),
            "latest_month": data.latest_month.isoformat() if data.latest_month else None,
            "marts_without_data": dg.MetadataValue.json(data.empty_marts),
        }
    )
