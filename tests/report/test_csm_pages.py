"""The CSM pages and the team page: a CSM's name, alerts with their evidence in Japanese, counts beside cut lists,
touches due and renewals from hand-worked fixture rows (tests/report/conftest.py), and the "no activity log"
state of a source without one (RavenStack), never zeros."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import duckdb
import pytest

from cs_warehouse.report import KpiReport, build_kpi_report
from cs_warehouse.report.csm import page_id
from tests.report.conftest import MANIFEST, make_serving_copy

# CSM 0's accounts are A000, A004, ..., A036 (k = 0..9, "株式会社サンプル{4k}"); bands set below: k 0-1 red,
# k 2-4 yellow, k 5-9 green.
CSM0_BANDS = "update marts.customer_360 set health_band = case when account_id in ('A000', 'A004') then 'red' " \
    "when account_id in ('A008', 'A012', 'A016') then 'yellow' else 'green' end"  # fmt: skip
# A source without an activity log: the marts hold their rows with null actuals, coverage and response.
NO_ACTIVITY_LOG = """
    update marts.mart_touch_coverage set actual_touches = null, is_covered = null;
    update marts.mart_touch_coverage_monthly set covered_accounts = null, touch_coverage = null, actual_touches = null;
    update marts.mart_alert_followup set response_hours = null, is_acted_within_sla = null;
    update marts.mart_csm_workload set activities_completed = null, alerts_acted_within_sla = null,
        alert_action_rate = null, median_response_hours = null, touch_coverage = null;
"""
# 30 open actionable alerts owned by CSM 1 (鈴木 一郎), ARR at risk i yen at priority i, the first 5 within the
# daily cap: the list shows 25 of 30.
MANY_ALERTS = """
    insert into marts.mart_churn_risk_alerts (alert_id, account_id, alert_type, severity, status, is_enabled,
        is_actionable, first_detected_date, evidence_metric, evidence_value, evidence_compared_to,
        evidence_threshold, owner_csm_user_id, owner_csm_name, priority_rank, arr_at_risk, is_within_daily_cap)
    select 'X' || i, 'A001', 'usage_drop', 'warning', 'open', true, true, date '2026-09-01', 'usage_ratio_7d',
        0.4, 0.8, 0.5, 'CSM 1', '鈴木 一郎', i, i, i <= 5
    from range(31) as r(i) where i > 0
"""


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> dict[str, KpiReport]:
    """Reports from one fixture copy: as built ("full"), without an activity log, with many alerts for CSM 1."""
    root = tmp_path_factory.mktemp("csm")
    base = make_serving_copy(root / "base.duckdb", with_health_data=True)
    out = {}
    for name, sql in (("full", CSM0_BANDS), ("no_log", NO_ACTIVITY_LOG), ("many", MANY_ALERTS)):
        serving = root / name / "cs_marts.duckdb"
        serving.parent.mkdir()
        shutil.copy(base, serving)
        with duckdb.connect(str(serving)) as con:
            con.execute(sql)
        out[name] = build_kpi_report(serving, root / name / "reports", manifest_path=MANIFEST)
    return out


def _read(report: KpiReport, user_id: str, lang: str) -> str:
    return report.csm_pages[user_id][lang].read_text(encoding="utf-8")


def _section(page: str, section_id: str) -> str:
    part = page[page.index(f'id="{section_id}"') :]
    return part[: part.index("</section>")]


def test_page_ids_are_safe_file_names() -> None:
    assert page_id("0050000000000004") == "0050000000000004"
    assert re.fullmatch(r"CSM_0-[0-9a-f]{10}", page_id("CSM 0"))
    assert page_id("../x") != page_id("__x") and "/" not in page_id("../x")


def test_a_page_per_csm_in_both_languages(built: dict[str, KpiReport]) -> None:
    # customer_360 owners: CSM 0-3 (CSM 3 has no name in the CRM)
    assert sorted(built["full"].csm_pages) == ["CSM 0", "CSM 1", "CSM 2", "CSM 3"]
    ja, en = _read(built["full"], "CSM 0", "ja"), _read(built["full"], "CSM 0", "en")
    assert '<span id="csm-name">佐藤 花子（CSM 0）</span>' in ja
    assert '<html lang="en"' in en and "佐藤 花子（CSM 0）" in en
    assert '<span id="csm-name">CSM 3</span>' in _read(built["full"], "CSM 3", "ja")


def test_open_alerts_show_their_evidence_in_japanese(built: dict[str, KpiReport]) -> None:
    alerts = _section(_read(built["full"], "CSM 0", "ja"), "my-alerts")
    # AL0 usage_drop (0.42 against 0.9, threshold 0.5) and AL1 new_detractor (score 3, 5 days, up to 6) on A000
    assert (
        '<td class="evidence">直近7日の利用量（基準比） 0.42（前週の基準比 0.90、警告となる基準比 0.50）</td>' in alerts
    )
    assert "批判者の最低スコア 3（回答からの日数 5、批判者とするスコア上限 6）" in alerts
    assert "利用量の減少" in alerts and "新たな批判者（NPS 0〜6）" in alerts
    assert "usage_ratio_7d" not in alerts and "usage_drop" not in alerts
    assert 'data-count="my-alerts">2件</p>' in alerts
    en = _section(_read(built["full"], "CSM 0", "en"), "my-alerts")
    assert "Usage in the last 7 days (vs baseline) 0.42" in en and "2 alerts" in en
    # CSM 3: low_seat_utilisation is actionable; urgent_ticket_overdue is of a disabled type and stays out
    other = _section(_read(built["full"], "CSM 3", "ja"), "my-alerts")
    assert "席利用率の低下" in other and "緊急チケットの長期未解決" not in other
    assert 'data-count="my-alerts">1件</p>' in other


def test_a_cut_alert_list_says_how_many_it_shows_of_how_many(built: dict[str, KpiReport]) -> None:
    ja = _section(_read(built["many"], "CSM 1", "ja"), "my-alerts")
    assert "全30件中 上位25件を表示" in ja
    assert ja.count("<tr>") == 25 + 1  # the header row
    # ranked by priority: 1..25 shown (ARR at risk 1..25 yen), 26..30 left out
    assert ">1円</td>" in ja and ">25円</td>" in ja and ">26円</td>" not in ja
    assert "Showing 25 of 30 alerts" in _section(_read(built["many"], "CSM 1", "en"), "my-alerts")
    # over the daily cap (X6..X30): marked
    assert ja.count("本日の上限超過") == 20


def test_accounts_by_health_band_touches_due_and_renewals(built: dict[str, KpiReport]) -> None:
    page = _read(built["full"], "CSM 0", "ja")
    accounts = _section(page, "my-accounts")
    assert 'data-band="red">レッド（要対応） 2<' in accounts
    assert 'data-band="yellow">イエロー（注意） 3<' in accounts
    assert 'data-band="green">グリーン（良好） 5<' in accounts
    assert 'data-count="my-accounts">10件</p>' in accounts and accounts.count("<tr>") == 10 + 1
    # red first: A000 and A004 head the table
    first_two = re.findall(r"<tr><td>(株式会社サンプル\d+)</td>", accounts)[:2]
    assert sorted(first_two) == ["株式会社サンプル0", "株式会社サンプル4"]

    touches = _section(page, "touches-due")
    # conftest.CSM0_TOUCHES: not covered k = 0, 2, 3, 4, 6, 8, 9 of the ten with a cadence
    shown = set(re.findall(r"<tr><td>(株式会社サンプル\d+)</td>", touches))
    assert shown == {f"株式会社サンプル{4 * k}" for k in (0, 2, 3, 4, 6, 8, 9)}
    assert 'data-count="touches-due">7件</p>' in touches and "規定回数のある10件中" in touches
    assert '<td>ハイタッチ</td><td class="num">2</td><td class="num">0</td>' in touches

    renewals = _section(page, "renewals")
    # k-th account renews 12k days after 2026-09-30: k = 0..7 within 90 days (k = 7: 84 days, k = 8: 96)
    shown = re.findall(r"<tr><td>(株式会社サンプル\d+)</td><td>([0-9-]+)</td>", renewals)
    assert [name for name, _ in shown] == [f"株式会社サンプル{4 * k}" for k in range(8)]
    assert shown[-1][1] == "2026-12-23"
    assert 'data-count="renewals">8件</p>' in renewals


def test_team_page_coverage_response_and_workload(built: dict[str, KpiReport]) -> None:
    report = built["full"]
    ja = report.team_pages["ja"].read_text(encoding="utf-8")
    coverage = _section(ja, "coverage")
    assert '<tr data-tier="high_touch"><td>ハイタッチ</td><td class="num">80% <small>8/10</small></td>' in coverage
    assert '<td class="num">50% <small>5/10</small></td>' in coverage and "テックタッチ" in coverage
    response = _section(ja, "response")
    # conftest.FOLLOWUP: 4 episodes in Aug 2026, 2 of 3 decided acted within SLA, median of 2, 10, 30 hours
    assert (
        '<tr><td>2026年8月</td><td class="num">4</td><td class="num">2/3</td><td class="num">67%</td>'
        '<td class="num">10.0h</td></tr>'
    ) in response
    # the as-of day is 2026-09-30: its month is marked as running
    assert '<tr><td>2026年9月（集計中）</td><td class="num">1</td><td class="num">1/1</td>' in response
    workload = _section(ja, "workload")
    for user_id, name in (("CSM 0", "佐藤 花子"), ("CSM 1", "鈴木 一郎")):
        href = f"csm/{page_id(user_id)}.ja.html"
        assert f'<a href="{href}">{name}</a>' in workload
        assert (report.team_pages["ja"].parent / href).is_file()
    assert "12.5h" in workload and "30.0h" in workload and "1.20億円" in workload
    assert "data-no-data" not in ja


def test_without_an_activity_log_the_pages_say_no_data_not_zero(built: dict[str, KpiReport]) -> None:
    report = built["no_log"]
    ja = report.team_pages["ja"].read_text(encoding="utf-8")
    for section_id in ("coverage", "response", "workload"):
        assert 'data-no-data="activity_log"' in _section(ja, section_id), section_id
    workload = _section(ja, "workload")
    shown = "".join(_section(ja, s) for s in ("coverage", "response", "workload"))
    assert "活動ログなし" in shown and "%" not in shown and "h</td>" not in shown
    # the book (accounts, ARR) still shows; activity columns do not
    assert "佐藤 花子" in workload and "1.20億円" in workload
    assert "実施活動数" not in workload and "–" not in workload
    touches = _section(_read(report, "CSM 0", "ja"), "touches-due")
    assert 'data-no-data="activity_log"' in touches and "<table" not in touches
    assert "No activity log" in report.team_pages["en"].read_text(encoding="utf-8")


def test_the_main_report_links_to_the_team_and_csm_pages(built: dict[str, KpiReport]) -> None:
    report = built["full"]
    for lang in ("ja", "en"):
        page = report.pages[lang].read_text(encoding="utf-8")
        assert f'<a href="team.{lang}.html" id="team-link">' in page
        table = page[page.index('id="at-risk"') :]
        links = set(re.findall(r'<a href="(csm/[^"]+)">', table[: table.index("</table>")]))
        assert f"csm/{page_id('CSM 0')}.{lang}.html" in links
        assert all((report.pages[lang].parent / link).is_file() for link in links)
        csm = _read(report, "CSM 0", lang)
        assert f'<a href="../report.{lang}.html">' in csm and f'<a href="../team.{lang}.html">' in csm


def test_pages_of_csms_without_accounts_are_removed(tmp_path: Path) -> None:
    serving = make_serving_copy(tmp_path / "cs_marts.duckdb", with_health_data=True)
    stale = tmp_path / "reports" / "csm" / "gone.ja.html"
    stale.parent.mkdir(parents=True)
    stale.write_text("old", encoding="utf-8")
    report = build_kpi_report(serving, tmp_path / "reports", manifest_path=MANIFEST)
    assert not stale.exists()
    assert len(list(stale.parent.glob("*.html"))) == 2 * len(report.csm_pages) == 8


def test_a_hostile_csm_name_is_escaped_on_the_csm_and_team_pages(tmp_path: Path) -> None:
    serving = make_serving_copy(tmp_path / "cs_marts.duckdb", with_health_data=True)
    hostile = '<script>alert("x")</script>'
    with duckdb.connect(str(serving)) as con:
        con.execute("update marts.customer_360 set owner_csm_name = ? where owner_csm_user_id = 'CSM 0'", [hostile])
    report = build_kpi_report(serving, tmp_path / "reports", manifest_path=MANIFEST)
    for page in (report.csm_pages["CSM 0"]["ja"], report.team_pages["ja"]):
        text = page.read_text(encoding="utf-8")
        assert hostile not in text and "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt;" in text
        assert text.count("<script") == 1
