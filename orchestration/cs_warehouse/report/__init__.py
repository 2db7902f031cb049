"""The nightly KPI report: static HTML pages (Japanese and English) built from the serving copy.

`build_kpi_report` reads the published marts read-only and writes `report.ja.html`, `report.en.html` and an
`index.html` that opens the Japanese page. The pages carry their charts as inline SVG and need no network.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path

from cs_warehouse.report.data import Missing, ReportData, load_report_data
from cs_warehouse.report.html import render
from cs_warehouse.report.i18n import LANGUAGES

__all__ = ["KpiReport", "Missing", "ReportData", "build_kpi_report", "load_report_data", "report_file_name"]


@dataclass(frozen=True)
class KpiReport:
    pages: dict[str, Path]  # language (and "index") -> file
    data: ReportData


def report_file_name(lang: str) -> str:
    return f"report.{lang}.html"


def build_kpi_report(serving_path: Path, reports_dir: Path, generated_at: dt.datetime | None = None) -> KpiReport:
    """Write the report in every language from the serving copy (opened read-only)."""
    data = load_report_data(serving_path)
    generated_at = generated_at or dt.datetime.now(dt.UTC)
    reports_dir.mkdir(parents=True, exist_ok=True)
    written: dict[str, Path] = {}
    for lang in LANGUAGES:
        other = next(code for code in LANGUAGES if code != lang)
        page = render(
            data, lang, other_href=report_file_name(other), source=serving_path.name, generated_at=generated_at
        )
        path = reports_dir / report_file_name(lang)
        # Write beside and rename, so a browser refreshing during the nightly run never reads half a page.
        tmp = path.with_suffix(".html.tmp")
        tmp.write_text(page, encoding="utf-8")
        tmp.replace(path)
        written[lang] = path
    index = reports_dir / "index.html"
    index.write_text(
        '<!doctype html><meta charset="utf-8"><meta http-equiv="refresh" content="0; url=report.ja.html">'
        '<a href="report.ja.html">KPIレポート（日本語）</a> · <a href="report.en.html">KPI report (English)</a>\n',
        encoding="utf-8",
    )
    written["index"] = index
    return KpiReport(written, data)
