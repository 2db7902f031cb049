"""The nightly KPI report, rendered by headless Chromium: charts drawn, no console errors, no outside assets."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from cs_warehouse.report import build_kpi_report
from cs_warehouse.report.csm import page_id
from tests.report.conftest import MANIFEST, make_serving_copy, render_in_browser

CHARTS_ALWAYS = {"waterfall": 1, "line": 3, "heatmap": 2, "funnel": 1, "bars": 1}


@pytest.fixture(scope="module")
def reports(tmp_path_factory: pytest.TempPathFactory) -> dict[str, dict[str, Path]]:
    """Reports from a serving copy whose health, alert, target and customer 360 marts are empty ("early") and
    from one where they have rows ("full")."""
    out = {}
    for name, health in (("early", False), ("full", True)):
        root = tmp_path_factory.mktemp(name)
        serving = make_serving_copy(root / "cs_marts.duckdb", with_health_data=health)
        out[name] = build_kpi_report(serving, root / "reports", manifest_path=MANIFEST).pages
    return out


def _chart_counts(dom: str) -> dict[str, int]:
    counts: dict[str, int] = {}
    for kind in re.findall(r'<svg class="chart" data-chart="([a-z]+)"', dom):
        counts[kind] = counts.get(kind, 0) + 1
    return counts


@pytest.mark.parametrize("lang", ["ja", "en"])
def test_report_draws_every_chart_and_marks_sections_without_data(
    reports: dict[str, dict[str, Path]], chromium: str, tmp_path: Path, lang: str
) -> None:
    dom, console = render_in_browser(chromium, reports["early"][lang], tmp_path / "profile")
    assert console == []
    assert 'data-report-ready="1"' in dom, "the page script did not run to the end"
    assert f'<html lang="{lang}"' in dom
    counts = _chart_counts(dom)
    for kind, expected in CHARTS_ALWAYS.items():
        assert counts.get(kind) == expected, (kind, counts)
    # Bars and cells carry the data: a chart with no marks would pass the count above.
    assert dom.count('class="cell"') > 20
    assert dom.count('class="tile"') == 12
    # Marts with no rows: a note naming each, never a crash and never a blank chart.
    for empty in ("mart_health_score_daily", "customer_360", "mart_kpi_targets"):
        assert f'data-no-data="{empty}"' in dom
    assert "stacked" not in counts


def test_report_shows_health_alerts_and_targets_once_their_marts_exist(
    reports: dict[str, dict[str, Path]], chromium: str, tmp_path: Path
) -> None:
    dom, console = render_in_browser(chromium, reports["full"]["ja"], tmp_path / "profile")
    assert console == []
    assert "data-no-data" not in dom
    assert _chart_counts(dom).get("stacked") == 1
    table = dom[dom.index('id="at-risk"') :]
    table = table[: table.index("</table>")]
    assert table.count("<tr>") >= 3
    # the owner by name; by CRM user id where the CRM has no name for it
    assert "利用量の減少" in table and "佐藤 花子" in table and "CSM 0" not in table and "CSM 3" in table
    assert "badge behind" in dom and "badge on_track" in dom


def test_team_and_csm_pages_render_in_the_browser(
    reports: dict[str, dict[str, Path]], chromium: str, tmp_path: Path
) -> None:
    """One Chromium run per page: the team page and CSM 0's page (the fixture's 佐藤 花子) in Japanese."""
    folder = reports["full"]["ja"].parent
    team, console = render_in_browser(chromium, folder / "team.ja.html", tmp_path / "profile")
    assert console == [] and 'data-report-ready="1"' in team
    assert "ハイタッチ" in team and "佐藤 花子" in team
    csm, console = render_in_browser(chromium, folder / "csm" / f"{page_id('CSM 0')}.ja.html", tmp_path / "profile")
    assert console == [] and 'data-report-ready="1"' in csm
    assert "佐藤 花子（CSM 0）" in csm and "直近7日の利用量（基準比） 0.42" in csm


def _all_pages(folder: Path) -> list[Path]:
    return sorted(folder.glob("*.html")) + sorted((folder / "csm").glob("*.html"))


def test_report_is_self_contained(reports: dict[str, dict[str, Path]]) -> None:
    pages = [*_all_pages(reports["full"]["ja"].parent), *_all_pages(reports["early"]["ja"].parent)]
    # each: index.html, report and team pages in two languages; "full" also two pages for each of its 4 CSMs
    assert len(pages) == 5 + 5 + 4 * 2
    for page in pages:
        text = page.read_text(encoding="utf-8")
        # The only URL allowed is the SVG namespace, which browsers never fetch.
        urls = set(re.findall(r"https?://[^\s\"'<>)]+", text)) - {"http://www.w3.org/2000/svg"}
        assert urls == set(), page
        assert not re.search(r"<(link|img|iframe)\b", text)
        assert not re.search(r"<script[^>]+src=", text)


def test_language_pages_link_to_each_other(reports: dict[str, dict[str, Path]]) -> None:
    ja = reports["early"]["ja"].read_text(encoding="utf-8")
    en = reports["early"]["en"].read_text(encoding="utf-8")
    assert 'href="report.en.html"' in ja and "主要KPI" in ja and "解約率（顧客数）" in ja
    assert 'href="report.ja.html"' in en and "Headline KPIs" in en and "Logo churn rate" in en


def test_dagster_asset_writes_the_report_from_the_serving_copy(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import dagster as dg

    from cs_warehouse.defs.publish import SERVING_KEY
    from cs_warehouse.defs.reports import kpi_report
    from tests.conftest import warehouse_resources

    serving = make_serving_copy(tmp_path / "cs_marts.duckdb", with_health_data=False)
    monkeypatch.setenv("CSW_SERVING_PATH", str(serving))
    monkeypatch.setenv("CSW_REPORTS_DIR", str(tmp_path / "reports"))
    assert kpi_report.key == dg.AssetKey(["reports", "kpi_report"])
    assert SERVING_KEY in kpi_report.dependency_keys
    result = dg.materialize([kpi_report], resources=warehouse_resources())
    assert result.success
    [event] = result.get_asset_materialization_events()
    # the copy without health data: these four marts are empty
    assert event.materialization.metadata["marts_without_data"].data == [
        "customer_360",
        "mart_churn_risk_alerts",
        "mart_health_score_daily",
        "mart_kpi_targets",
    ]
    assert (tmp_path / "reports" / "report.ja.html").exists()
    assert (tmp_path / "reports" / "report.en.html").exists()
