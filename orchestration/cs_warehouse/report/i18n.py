"""Report wording in Japanese (the default) and English, and number formats for each language."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

LANGUAGES = ("ja", "en")

# key -> (ja, en): the page's own wording. Column labels come from the models' yml and milestone names from
# the seed onboarding_milestones (contract.py); the values at the end label codes of accepted values (alert
# types, bands, ...) that have no label in the project.
TEXT: dict[str, tuple[str, str]] = {
    "title": ("カスタマーサクセス KPI レポート", "Customer Success KPI report"),
    "published": ("データ公開日時", "Data published"),
    "generated": ("レポート作成日時", "Report generated"),
    "other_lang": ("English", "日本語"),
    "no_data": ("データがありません", "No data"),
    "no_data_detail": (
        "このセクションのマート（{tables}）に行がありません。データ元が取り込まれていない可能性があります。",
        "The mart behind this section ({tables}) has no rows; its source may not be loaded.",
    ),
    "no_rows": ("表示できるデータがありません。", "No rows to show."),
    "sec_tiles": ("主要KPI", "Headline KPIs"),
    "sec_waterfall": ("MRR増減内訳", "MRR movements"),
    "sec_retention": ("NRR / GRR と解約率の推移", "NRR / GRR and logo churn"),
    "sec_churn_heatmap": ("プラン別・利用期間別解約率", "Logo churn by plan and tenure"),
    "sec_cohort": ("コホート継続率", "Cohort retention"),
    "sec_funnel": ("オンボーディング", "Onboarding funnel"),
    "sec_usage": ("DAU / MAU", "DAU / MAU"),
    "sec_nps": ("NPS（顧客推奨度）の推移", "NPS trend"),
    "sec_health": ("ヘルススコア分布", "Health band distribution"),
    "sec_at_risk": ("要注意アカウント", "At-risk accounts"),
    "target": ("目標", "Target"),
    "vs_prev": ("前月比", "vs prev. month"),
    "no_target": ("目標未設定", "No target"),
    "targets_missing": (
        "KPI目標（mart_kpi_targets）が設定されていないため、目標との比較は表示していません。",
        "No KPI targets are set (mart_kpi_targets), so tiles show actuals only.",
    ),
    "waterfall_note": (
        "期首MRRから期末MRRへの内訳（縦軸は0から始まりません）。",
        "From start to end MRR of the month (the axis does not start at zero).",
    ),
    "mrr_end": ("期末MRR", "End MRR"),
    "plan": ("プラン", "Plan"),
    "tenure_band": ("利用期間（月）", "Tenure (months)"),
    "cohort_month": ("初回課金月", "First paid month"),
    "months_since": ("経過月数", "Months since start"),
    "heat_churn_note": (
        "直近12ヶ月（確定月）の解約顧客数 ÷ 期首顧客数。プランと利用期間は月初時点。",
        "Churned / accounts at start over the last 12 complete months; plan and tenure as of each month start.",
    ),
    "heat_cohort_note": (
        "各コホートのうちMRR > 0 の顧客の割合（ロゴ継続率）。未確定の月は除外。",
        "Share of each cohort's accounts with MRR > 0 (logo retention); incomplete months left out.",
    ),
    "funnel_note": (
        "契約開始から30日以内に各マイルストーンに到達した顧客（30日以上経過したコホート）。",
        "Accounts reaching each milestone within 30 days of contract start (cohorts at least 30 days old).",
    ),
    "funnel_started": ("契約開始", "Contract started"),
    "funnel_completed": ("全マイルストーン完了", "All milestones done"),
    "usage_note": (
        "日次のDAUとMAU（直近30日のアクティブユーザー）。",
        "Daily DAU and MAU (users active in the trailing 30 days).",
    ),
    "nps_note": (
        "会計四半期ごと、回答者ごとの最新回答で算出（−100〜100）。",
        "Per fiscal quarter over each respondent's latest answer (−100 to 100).",
    ),
    "health_note": ("アカウント数（ヘルス区分別、週次）。", "Accounts per health band, weekly."),
    "at_risk_note": (
        "ヘルス区分がレッド、または対応対象のアラート（有効な種別の未解決アラート）がある有償アカウント"
        "（レッドを先頭に ARR の大きい順）。",
        "Paying accounts in the red band or with actionable alerts (open, of an enabled type); red first, then by ARR.",
    ),
    "list_count": ("{total}件", "{total} accounts"),
    "list_count_cut": ("全{total}件中 上位{shown}件を表示", "Showing {shown} of {total} accounts"),
    "footer": (
        "出典: 公開コピー（{path}）。率は確定月のみ。KPIの定義は docs/kpis.md に従います。日時は{zone}。",
        "Source: the serving copy ({path}). Rates cover complete months only. KPI definitions follow docs/kpis.md. "
        "Times in {zone}.",
    ),
    "nav_team": ("チーム", "Team"),
    "nav_report": ("KPIレポート", "KPI report"),
    "nav_csms": ("担当CSM別ページ", "Pages per CSM"),
    "csm_title": ("担当アカウント", "My accounts"),
    "team_title": ("CSチーム", "CS team"),
    "as_of": ("基準日", "As of"),
    "sec_my_alerts": ("対応対象のアラート", "Open alerts to act on"),
    "my_alerts_note": (
        "有効な種別の未解決アラート（ARR影響額の大きい順）。根拠はアラートの判定に使った値です。",
        "Open alerts of an enabled type, largest ARR at risk first; the evidence is what the rule measured.",
    ),
    "over_cap": ("本日の上限超過（通知は翌日以降）", "over today's cap (delivered later)"),
    "sec_my_accounts": ("ヘルス区分別アカウント", "Accounts by health band"),
    "my_accounts_note": (
        "担当の有償アカウント（レッドを先頭に ARR の大きい順）。",
        "Paying accounts owned, red first, then by ARR.",
    ),
    "band_none": ("未算出", "Not scored"),
    "sec_touches_due": ("今月の未達タッチ", "Touches due this month"),
    "touches_due_note": (
        "{month}: 階層の規定回数に達していないアカウント（規定回数のある{accounts}件中）。",
        "{month}: accounts below their tier's prescribed touches (of {accounts} with a cadence).",
    ),
    "sec_renewals": ("90日以内の更新", "Renewals within 90 days"),
    "renewals_note": (
        "{as_of} から90日以内に更新日を迎える有償アカウント。",
        "Paying accounts renewing within 90 days of {as_of}.",
    ),
    "no_activity_log": ("活動ログなし", "No activity log"),
    "no_activity_log_detail": (
        "このデータ元には活動ログがないため、実施タッチ・カバー率・初動は算出できません（0件ではありません）。",
        "This source has no activity log, so touches, coverage and response are unknown (not zero).",
    ),
    "sec_coverage": ("階層別タッチカバー率", "Touch coverage by tier"),
    "coverage_note": (
        "確定月ごとの、規定タッチを満たしたアカウントの割合（満たした件数/対象件数）。",
        "Share of accounts that got their tier's touches, per complete month (covered/accounts).",
    ),
    "touch_tier": ("タッチ階層", "Touch tier"),
    "sec_response": ("アラート対応", "Alert response"),
    "response_note": (
        "検知月ごとのエピソード数、SLA内対応の割合（判定済みのエピソード中）と初動時間の中央値。",
        "Episodes per month of detection, the share acted on within SLA (of those decided) and the median hours"
        " to the first activity.",
    ),
    "month": ("月", "Month"),
    "running_month": ("（集計中）", " (running)"),
    "episodes": ("エピソード数", "Episodes"),
    "acted_within_sla": ("SLA内対応", "Acted within SLA"),
    "action_rate": ("対応率", "Action rate"),
    "median_response": ("初動時間（中央値）", "Median response"),
    "sec_workload": ("CSM別の担当状況", "Workload per CSM"),
    "workload_note": ("{month}（確定月）。", "{month} (complete month)."),
    "tier_accounts": ("階層別件数（ハイ/ロー/テック）", "Accounts high / low / tech"),
    "sec_csm_pages": ("担当CSM別ページ", "Pages per CSM"),
    "open_alert_count": ("対応対象アラート {count}件", "{count} open alerts"),
    "list_count_alerts": ("{total}件", "{total} alerts"),
    "list_count_alerts_cut": ("全{total}件中 上位{shown}件を表示", "Showing {shown} of {total} alerts"),
    # Accepted values of mart_health_score_daily.health_band, mart_kpi_targets.status and of
    # mart_churn_risk_alerts.alert_type / severity (tests/report check that each value has a label).
    "tier_high_touch": ("ハイタッチ", "High touch"),
    "tier_low_touch": ("ロータッチ", "Low touch"),
    "tier_tech_touch": ("テックタッチ", "Tech touch"),
    "band_red": ("レッド（要対応）", "Red"),
    "band_yellow": ("イエロー（注意）", "Yellow"),
    "band_green": ("グリーン（良好）", "Green"),
    "status_on_track": ("達成ペース", "On track"),
    "status_behind": ("未達", "Behind"),
    "severity_critical": ("重大", "Critical"),
    "severity_warning": ("警告", "Warning"),
    "alert_usage_drop": ("利用量の減少", "Usage drop"),
    "alert_feature_breadth_drop": ("利用機能数の減少", "Fewer features used"),
    "alert_key_user_inactive": ("キーユーザーの非アクティブ", "Key user inactive"),
    "alert_new_detractor": ("新たな批判者（NPS 0〜6）", "New detractor (NPS 0-6)"),
    "alert_urgent_ticket_overdue": ("緊急チケットの長期未解決", "Urgent ticket overdue"),
    "alert_renewal_at_risk": ("更新リスク", "Renewal at risk"),
    "alert_low_seat_utilisation": ("席利用率の低下", "Low seat utilisation"),
}

# What each alert rule's evidence measures, what it is compared with and what its threshold is
# (mart_churn_risk_alerts.evidence_metric, evidence_compared_to, evidence_threshold): the alert messages of
# delivery.py and the CSM pages of the report word them alike.
EVIDENCE_JA: dict[str, tuple[str, str, str]] = {
    "usage_ratio_7d": ("直近7日の利用量（基準比）", "前週の基準比", "警告となる基準比"),
    "core_features_used_30d": ("30日間に使われたコア機能数", "30日前の機能数", "警告となる減少数"),
    "inactive_key_users": ("非アクティブなキーユーザー数", "キーユーザー数", "非アクティブと判定する日数"),
    "lowest_detractor_score": ("批判者の最低スコア", "回答からの日数", "批判者とするスコア上限"),
    "oldest_urgent_ticket_age_days": ("最も古い緊急チケットの経過日数", "期限超過の緊急チケット数", "許容日数"),
    "days_to_renewal": ("更新までの日数", "ヘルススコア", "更新リスクとする日数"),
    "active_user_share": ("アクティブユーザー率", "契約シート数", "下限の利用率"),
}
EVIDENCE_EN: dict[str, tuple[str, str, str]] = {
    "usage_ratio_7d": ("Usage in the last 7 days (vs baseline)", "previous week vs baseline", "alert ratio"),
    "core_features_used_30d": ("Core features used in 30 days", "30 days earlier", "alert drop"),
    "inactive_key_users": ("Inactive key users", "key users", "days inactive"),
    "lowest_detractor_score": ("Lowest detractor score", "days since the answer", "detractor score up to"),
    "oldest_urgent_ticket_age_days": ("Oldest urgent ticket (days)", "overdue urgent tickets", "days allowed"),
    "days_to_renewal": ("Days to renewal", "health score", "renewal risk within (days)"),
    "active_user_share": ("Active user share", "licensed seats", "lowest share"),
}
TREND_JA = {"up": "上昇", "down": "低下", "flat": "横ばい"}


def evidence_names(metric: str, lang: str) -> tuple[str, str, str] | None:
    """What an alert's evidence value, compared-to value and threshold are, in `lang`; None for a metric with
    no wording yet."""
    return (EVIDENCE_JA if lang == "ja" else EVIDENCE_EN).get(metric)


def t(key: str, lang: str, **values: object) -> str:
    ja, en = TEXT[key]
    text = ja if lang == "ja" else en
    return text.format(**values) if values else text


def value_label(kind: str, code: object, lang: str) -> str:
    """The label of an accepted value (kind "band", "alert", "severity", "status", "tier"); a code added to a model
    later with no label yet reads as itself."""
    key = f"{kind}_{code}"
    return t(key, lang) if key in TEXT else str(code)


def fmt_fiscal_quarter(year: int, quarter: int, lang: str, *, wrap: bool = False) -> str:
    """`2024年度 第4四半期` / `FY2024 Q4`; the fiscal year is named by its starting calendar year. `wrap` breaks
    the Japanese form over two lines (chart axes)."""
    if lang == "ja":
        return f"{year}年度{chr(10) if wrap else ' '}第{quarter}四半期"
    return f"FY{year} Q{quarter}"


def fmt_timestamp(value: dt.datetime | str | None, lang: str, zone: str) -> str:
    """A moment in the reporting time zone with its abbreviation (JST for Asia/Tokyo); naive values are UTC."""
    if value is None or value == "":
        return "–"
    moment = dt.datetime.fromisoformat(value) if isinstance(value, str) else value
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=dt.UTC)
    local = moment.astimezone(ZoneInfo(zone))
    if lang == "ja":
        return f"{local.year}年{local.month}月{local.day}日 {local:%H:%M} {local:%Z}"
    return f"{local.day} {local:%b %Y %H:%M} {local:%Z}"


def fmt_pct(value: float | None, digits: int = 1) -> str:
    return "–" if value is None else f"{value * 100:.{digits}f}%"


def fmt_int(value: float | None) -> str:
    return "–" if value is None else f"{value:,.0f}"


def fmt_number(value: float | None) -> str:
    """A measured value as it is: whole numbers without decimals, others to two places."""
    if value is None:
        return "–"
    value = float(value)
    return f"{value:,.0f}" if value.is_integer() else f"{value:,.2f}"


def fmt_hours(value: float | None) -> str:
    return "–" if value is None else f"{value:,.1f}h"


def fmt_score(value: float | None) -> str:
    return "–" if value is None else f"{value:+.1f}"


def fmt_yen(value: float | None, lang: str) -> str:
    """Amounts read in the units each audience uses: 万/億 in Japanese, K/M/B in English."""
    if value is None:
        return "–"
    sign = "−" if value < 0 else ""
    amount = abs(value)
    if lang == "ja":
        if amount >= 1e8:
            return f"{sign}{amount / 1e8:,.2f}億円"
        if amount >= 1e4:
            return f"{sign}{amount / 1e4:,.0f}万円"
        return f"{sign}{amount:,.0f}円"
    for size, suffix in ((1e9, "B"), (1e6, "M"), (1e3, "K")):
        if amount >= size:
            return f"{sign}¥{amount / size:,.1f}{suffix}"
    return f"{sign}¥{amount:,.0f}"


def fmt_month(month: dt.date | None, lang: str) -> str:
    if month is None:
        return "–"
    return f"{month.year}年{month.month}月" if lang == "ja" else month.strftime("%b %Y")


def fmt_month_short(month: dt.date, lang: str) -> str:
    return f"{month.year % 100:02d}/{month.month}" if lang == "ja" else month.strftime("%b %y")
