"""The report against the marts' contracts: missing columns fail by name, labels come from the yml, text from
the warehouse is escaped, and the Japanese page speaks Japanese (fiscal quarters, alert types, JST)."""

from __future__ import annotations

import copy
import json
import re
from pathlib import Path

import duckdb
import pytest

from cs_warehouse.report import ReportContractError, build_kpi_report
from cs_warehouse.report.csm import CSM_READS
from cs_warehouse.report.data import READS
from cs_warehouse.report.i18n import TEXT, fmt_fiscal_quarter, fmt_timestamp, value_label
from tests.report.conftest import MANIFEST, make_serving_copy

HOSTILE_NAME = '<script>alert("x")</script><img src=x onerror=alert(1)>'
HOSTILE_CSM = '" onmouseover="alert(2)'


def _serving(tmp_path: Path, *, health: bool = False) -> Path:
    return make_serving_copy(tmp_path / "cs_marts.duckdb", with_health_data=health)


def _alter(serving: Path, sql: str) -> None:
    with duckdb.connect(str(serving)) as con:
        con.execute(sql)


@pytest.fixture(scope="module")
def manifest() -> dict:
    return json.loads(MANIFEST.read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def hostile_pages(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    """Both pages from a copy where at-risk account A000 has a name and CSM name written to break out of HTML."""
    root = tmp_path_factory.mktemp("hostile")
    serving = _serving(root, health=True)
    with duckdb.connect(str(serving)) as con:
        con.execute(
            "update marts.customer_360 set account_name = ?, owner_csm_name = ? where account_id = 'A000'",
            [HOSTILE_NAME, HOSTILE_CSM],
        )
    pages = build_kpi_report(serving, root / "reports", manifest_path=MANIFEST).pages
    return {lang: pages[lang].read_text(encoding="utf-8") for lang in ("ja", "en")}


def test_a_renamed_mart_column_fails_naming_the_mart_and_the_column(tmp_path: Path) -> None:
    serving = _serving(tmp_path)
    _alter(serving, "alter table marts.mart_kpi_monthly rename column churned_mrr to churn_mrr")
    with pytest.raises(ReportContractError) as failure:
        build_kpi_report(serving, tmp_path / "reports", manifest_path=MANIFEST)
    assert "mart mart_kpi_monthly in the serving copy cs_marts.duckdb has no column churned_mrr" in str(failure.value)
    assert not (tmp_path / "reports" / "report.ja.html").exists()


def test_a_mart_missing_from_the_serving_copy_fails_naming_it(tmp_path: Path) -> None:
    serving = _serving(tmp_path)
    _alter(serving, "drop table marts.mart_nps_quarterly")
    with pytest.raises(ReportContractError, match="mart mart_nps_quarterly is not in the serving copy"):
        build_kpi_report(serving, tmp_path / "reports", manifest_path=MANIFEST)


def test_a_column_the_contract_no_longer_declares_fails(tmp_path: Path, manifest: dict) -> None:
    """A column renamed in the yml (the serving copy still built the old way) fails before any query."""
    changed = copy.deepcopy(manifest)
    node = next(n for n in changed["nodes"].values() if n.get("name") == "customer_360")
    del node["columns"]["owner_csm_user_id"]
    path = tmp_path / "manifest.json"
    path.write_text(json.dumps(changed), encoding="utf-8")
    with pytest.raises(ReportContractError, match=r"customer_360\.owner_csm_user_id is not declared by the contract"):
        build_kpi_report(_serving(tmp_path), tmp_path / "reports", manifest_path=path)


def test_a_missing_manifest_says_how_to_make_it(tmp_path: Path) -> None:
    with pytest.raises(ReportContractError, match="run `dbt parse`"):
        build_kpi_report(_serving(tmp_path), tmp_path / "reports", manifest_path=tmp_path / "none.json")


def test_labels_come_from_the_models_yml(tmp_path: Path, manifest: dict) -> None:
    changed = copy.deepcopy(manifest)
    node = next(n for n in changed["nodes"].values() if n.get("name") == "mart_kpi_monthly")
    node["columns"]["paying_accounts"]["config"]["meta"]["label_ja"] = "有償顧客の数（yml）"
    node["columns"]["paying_accounts"]["meta"]["label_ja"] = "有償顧客の数（yml）"
    path = tmp_path / "manifest.json"
    path.write_text(json.dumps(changed), encoding="utf-8")
    pages = build_kpi_report(_serving(tmp_path), tmp_path / "reports", manifest_path=path).pages
    ja, en = (pages[lang].read_text(encoding="utf-8") for lang in ("ja", "en"))
    assert '<div class="label">有償顧客の数（yml）</div>' in ja
    # label_ja of nrr_monthly in models/marts/_mart_kpi_monthly.yml; English from its semantic metric
    assert '<div class="label">売上継続率 NRR（月次）</div>' in ja
    assert '<div class="label">NRR (monthly)</div>' in en


def test_the_at_risk_table_is_headed_by_the_labels_of_its_columns(hostile_pages: dict[str, str]) -> None:
    # label_ja of customer_360 and mart_churn_risk_alerts; English from the column names
    headers = ("顧客名", "担当CSM名", "ヘルススコア", "ヘルス区分", "ARR", "アラート種別")
    assert "".join(f"<th>{h}</th>" for h in headers) in hostile_pages["ja"]
    assert "<th>Account name</th><th>Owner CSM name</th>" in hostile_pages["en"]


def test_a_hostile_account_name_is_escaped(hostile_pages: dict[str, str]) -> None:
    for page in hostile_pages.values():
        assert HOSTILE_NAME not in page and "<img" not in page and 'onmouseover="' not in page
        assert "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt;&lt;img src=x onerror=alert(1)&gt;" in page
        assert "&#34; onmouseover=&#34;alert(2)" in page
        # the page's own script is the only one
        assert page.count("<script") == 1


def test_fiscal_quarter_labels() -> None:
    assert fmt_fiscal_quarter(2024, 4, "ja") == "2024年度 第4四半期"
    assert fmt_fiscal_quarter(2024, 4, "en") == "FY2024 Q4"
    assert fmt_fiscal_quarter(2025, 1, "ja", wrap=True) == "2025年度\n第1四半期"


def test_the_japanese_page_names_quarters_alerts_and_bands_in_japanese(hostile_pages: dict[str, str]) -> None:
    ja, en = hostile_pages["ja"], hostile_pages["en"]
    # the fixture's NPS quarters run from FY2025 Q1 to FY2026 Q2
    nps = ja[ja.index('data-chart="bars"') :]
    nps = nps[: nps.index("</svg>")]
    assert ">2025年度</text>" in nps and ">第1四半期</text>" in nps and "<title>2026年度 第2四半期: " in nps
    assert "FY20" not in ja
    assert "<title>FY2026 Q2: " in en
    table = ja[ja.index('id="at-risk"') :]
    table = table[: table.index("</table>")]
    # account A000 has usage_drop (critical) and new_detractor (warning) open; A003 low_seat_utilisation
    assert '<span class="badge critical" title="重大">利用量の減少</span>' in table
    assert '<span class="badge warning" title="警告">新たな批判者（NPS 0〜6）</span>' in table
    assert "席利用率の低下" in table
    assert not re.search(r">(usage_drop|new_detractor|low_seat_utilisation|red|yellow|green)<", table)
    assert "レッド（要対応）" in ja and "グリーン（良好）" in ja


def test_alert_types_and_bands_labels() -> None:
    assert value_label("alert", "usage_drop", "ja") == "利用量の減少"
    assert value_label("alert", "renewal_at_risk", "ja") == "更新リスク"
    assert value_label("alert", "renewal_at_risk", "en") == "Renewal at risk"
    assert value_label("band", "yellow", "ja") == "イエロー（注意）"
    assert value_label("severity", "critical", "ja") == "重大"
    # a code added to a model later reads as itself until it gets a label
    assert value_label("alert", "brand_new_rule", "ja") == "brand_new_rule"


@pytest.mark.parametrize(
    ("model", "column", "kind"),
    [
        ("mart_churn_risk_alerts", "alert_type", "alert"),
        ("mart_churn_risk_alerts", "severity", "severity"),
        ("mart_health_score_daily", "health_band", "band"),
        ("customer_360", "health_band", "band"),
        ("mart_kpi_targets", "status", "status"),
        ("customer_360", "touch_tier", "tier"),
    ],
)
def test_every_accepted_value_the_report_shows_has_both_labels(manifest: dict, model: str, column: str, kind: str):
    values = [
        value
        for node in manifest["nodes"].values()
        if node["resource_type"] == "test"
        and (node.get("test_metadata") or {}).get("name") == "accepted_values"
        and node.get("attached_node") == f"model.cs_warehouse.{model}"
        and node.get("column_name") == column
        for value in node["test_metadata"]["kwargs"]["values"]
    ]
    assert values, f"no accepted_values test on {model}.{column} in the manifest"
    assert [v for v in values if f"{kind}_{v}" not in TEXT] == []


def test_timestamps_read_in_jst(hostile_pages: dict[str, str]) -> None:
    # the fixture's publication is stamped 2026-10-01T17:00:00+00:00
    assert fmt_timestamp("2026-10-01T17:00:00+00:00", "ja", "Asia/Tokyo") == "2026年10月2日 02:00 JST"
    assert fmt_timestamp("2026-10-01T17:00:00+00:00", "en", "Asia/Tokyo") == "2 Oct 2026 02:00 JST"
    assert "データ公開日時: <time>2026年10月2日 02:00 JST</time>" in hostile_pages["ja"]
    assert "Data published: <time>2 Oct 2026 02:00 JST</time>" in hostile_pages["en"]


def test_the_report_reads_exactly_the_marts_its_exposure_declares(manifest: dict) -> None:
    exposure = manifest["exposures"]["exposure.cs_warehouse.nightly_kpi_report"]
    declared = {node.rsplit(".", 1)[-1] for node in exposure["depends_on"]["nodes"]}
    assert declared == set(READS) | set(CSM_READS)


def test_onboarding_milestones_are_named_as_in_their_seed(hostile_pages: dict[str, str]) -> None:
    # seeds/onboarding_milestones.csv: first_key_action is "初回主要アクション（レポート作成）"
    for lang, name in (("ja", "初回主要アクション（レポート作成）"), ("en", "First key action (report created)")):
        funnel = hostile_pages[lang][hostile_pages[lang].index('data-chart="funnel"') :]
        funnel = funnel[: funnel.index("</svg>")]
        assert f">{name}</text>" in funnel
        assert "first_key_action" not in funnel


def _at_risk_card(page: str) -> str:
    card = page[page.index('id="at-risk-count"') :]
    return card[: card.index("</table>")]


def test_the_at_risk_list_says_how_many_it_shows_of_how_many(tmp_path: Path) -> None:
    serving = _serving(tmp_path, health=True)
    # 30 paying accounts in the red band (A000-A029), the other ten green without alerts: 30 at risk, 25 shown
    _alter(
        serving,
        "update marts.customer_360 set health_band = case when account_id < 'A030' then 'red' else 'green' end, "
        "open_alerts = case when account_id < 'A030' then open_alerts else 0 end",
    )
    pages = build_kpi_report(serving, tmp_path / "reports", manifest_path=MANIFEST).pages
    ja, en = (_at_risk_card(pages[lang].read_text(encoding="utf-8")) for lang in ("ja", "en"))
    assert "全30件中 上位25件を表示" in ja and ja.count("<tr>") == 25 + 1  # the header row
    assert "Showing 25 of 30 accounts" in en


def test_an_uncut_at_risk_list_gives_its_count_and_disabled_alert_types_stay_out(tmp_path: Path) -> None:
    serving = _serving(tmp_path, health=True)
    # nobody red; alerts open on A000 (two) and A003 (one actionable, one of a disabled type)
    _alter(serving, "update marts.customer_360 set health_band = 'green'")
    pages = build_kpi_report(serving, tmp_path / "reports", manifest_path=MANIFEST).pages
    ja, en = (_at_risk_card(pages[lang].read_text(encoding="utf-8")) for lang in ("ja", "en"))
    assert ja.startswith('id="at-risk-count">2件</p>') and ja.count("<tr>") == 2 + 1
    assert "2 accounts" in en and "Showing" not in en
    assert value_label("alert", "low_seat_utilisation", "ja") in ja
    assert value_label("alert", "urgent_ticket_overdue", "ja") not in ja
