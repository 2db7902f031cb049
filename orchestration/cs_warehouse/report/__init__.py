"""The nightly KPI report: static HTML pages (Japanese and English) built from the serving copy.

`build_kpi_report` reads the published marts read-only, by the columns their contracts declare in the dbt
manifest, and writes `report.ja.html`, `report.en.html`, an `index.html` that opens the Japanese page, the team
page (`team.ja.html`, `team.en.html`) and a page per CSM (`csm/<CRM user id>.ja.html`, `.en.html`).
The pages are rendered from the Jinja2 templates in `templates/`, carry their charts as inline SVG and need
no network. A mart column the report reads that is missing stops it with a `ReportContractError`.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path

from cs_warehouse.report.contract import Contracts, ReportContractError
from cs_warehouse.report.data import ReportData, load_report_data
from cs_warehouse.report.html import render, render_csm, render_index, render_team
from cs_warehouse.report.i18n import LANGUAGES

__all__ = [
    "Contracts",
    "KpiReport",
    "ReportContractError",
    "ReportData",
    "build_kpi_report",
    "load_report_data",
    "report_file_name",
]

DEFAULT_ZONE = "Asia/Tokyo"


@dataclass(frozen=True)
class KpiReport:
    pages: dict[str, Path]  # language (and "index") -> file
    team_pages: dict[str, Path]  # language -> file
    csm_pages: dict[str, dict[str, Path]]  # CRM user id -> language -> file
    data: ReportData


def report_file_name(lang: str) -> str:
    return f"report.{lang}.html"


def default_manifest_path() -> Path:
    """The manifest the Dagster definitions load (DBT_TARGET_PATH's, else the project's target/)."""
    from cs_warehouse.dbt_project import dbt_target_path

    return dbt_target_path() / "manifest.json"


def _write(path: Path, text: str) -> None:
    # Write beside and rename, so a browser refreshing during the nightly run never reads half a page.
    tmp = path.with_suffix(".html.tmp")
    tmp.write_text(text, encoding="utf-8")
    tmp.replace(path)


def build_kpi_report(
    serving_path: Path,
    reports_dir: Path,
    generated_at: dt.datetime | None = None,
    *,
    manifest_path: Path | None = None,
    zone: str = DEFAULT_ZONE,
) -> KpiReport:
    """Write the report in every language from the serving copy (opened read-only); times shown in `zone`."""
    contracts = Contracts.from_manifest(manifest_path or default_manifest_path())
    data = load_report_data(serving_path, contracts)
    generated_at = generated_at or dt.datetime.now(dt.UTC)
    reports_dir.mkdir(parents=True, exist_ok=True)
    written: dict[str, Path] = {}
    for lang in LANGUAGES:
        other = next(code for code in LANGUAGES if code != lang)
        page = render(
            data,
            lang,
            other_href=report_file_name(other),
            source=serving_path.name,
            generated_at=generated_at,
            zone=zone,
        )
        written[lang] = reports_dir / report_file_name(lang)
        _write(written[lang], page)
    written["index"] = reports_dir / "index.html"
    _write(written["index"], render_index({lang: report_file_name(lang) for lang in LANGUAGES}))
    team: dict[str, Path] = {}
    csm_pages: dict[str, dict[str, Path]] = {}
    csm_dir = reports_dir / "csm"
    csm_dir.mkdir(exist_ok=True)
    common = {"source": serving_path.name, "generated_at": generated_at, "zone": zone}
    for lang in LANGUAGES:
        team[lang] = reports_dir / f"team.{lang}.html"
        _write(team[lang], render_team(data, lang, **common))
        for csm in data.csm.csms if data.csm else []:
            path = csm_dir / f"{csm.page_id}.{lang}.html"
            _write(path, render_csm(data, csm, lang, **common))
            csm_pages.setdefault(csm.user_id, {})[lang] = path
    # Pages of CSMs who no longer own an account are not left behind with stale alerts.
    current = {p for pages in csm_pages.values() for p in pages.values()}
    for stale in csm_dir.glob("*.html"):
        if stale not in current:
            stale.unlink()
    return KpiReport(written, team, csm_pages, data)
