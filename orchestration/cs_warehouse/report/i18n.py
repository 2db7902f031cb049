"""Report wording in Japanese (the default) and English, and number formats for each language."""

from __future__ import annotations

import datetime as dt

LANGUAGES = ("ja", "en")

# key -> (ja, en). KPI labels follow docs/kpis.md so the report, BI and the semantic layer use one vocabulary.
TEXT: dict[str, tuple[str, str]] = {
    "title": ("カスタマーサクセス KPI レポート", "Customer Success KPI report"),
    "as_of": ("対象月", "Month"),
    "published": ("データ公開日時", "Data published"),
    "generated": ("レポート作成日時", "Report generated"),
    "other_lang": ("English", "日本語"),
    "not_available": ("データがまだありません", "Not available yet"),
    "not_available_detail": (
        "このセクションのマート（{tables}）はまだ公開コピーにありません。公開され次第、表示されます。",
        "The mart behind this section ({tables}) is not in the serving copy yet; it appears once published.",
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
    "actual": ("実績", "Actual"),
    "vs_prev": ("前月比", "vs prev. month"),
    "on_track": ("達成ペース", "On track"),
    "behind": ("未達", "Behind"),
    "no_target": ("目標未設定", "No target"),
    "targets_missing": (
        "KPI目標マート（kpi_targets）がまだないため、目標との比較は表示していません。",
        "The KPI targets mart (kpi_targets) is not published yet, so tiles show actuals only.",
    ),
    "waterfall_note": (
        "期首MRRから期末MRRへの内訳（縦軸は0から始まりません）。",
        "From start to end MRR of the month (the axis does not start at zero).",
    ),
    "mrr_start": ("期首MRR", "Start MRR"),
    "mrr_end": ("期末MRR", "End MRR"),
    "new": ("新規", "New"),
    "reactivation": ("復活", "Reactivation"),
    "expansion": ("拡大", "Expansion"),
    "contraction": ("縮小", "Contraction"),
    "churn": ("解約", "Churn"),
    "nrr_12m": ("NRR（12ヶ月コホート）", "NRR (12-month cohort)"),
    "grr_12m": ("GRR（12ヶ月コホート）", "GRR (12-month cohort)"),
    "nrr_monthly": ("NRR（月次）", "NRR (monthly)"),
    "grr_monthly": ("GRR（月次）", "GRR (monthly)"),
    "logo_churn_rate": ("解約率（顧客数）", "Logo churn rate"),
    "mrr": ("MRR", "MRR"),
    "arr": ("ARR", "ARR"),
    "paying_accounts": ("有償顧客数", "Paying accounts"),
    "mau": ("MAU", "MAU"),
    "dau": ("DAU", "DAU"),
    "stickiness": ("定着度 (DAU/MAU)", "Stickiness (DAU/MAU)"),
    "nps": ("NPS（顧客推奨度）", "NPS"),
    "csat": ("CSAT（顧客満足度）", "CSAT"),
    "onboarding_completion_rate": ("オンボーディング完了率", "Onboarding completion"),
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
    "milestone_first_login": ("初回ログイン", "First login"),
    "milestone_initial_setup": ("初期設定完了", "Initial setup done"),
    "milestone_tutorial": ("チュートリアル完了", "Tutorial finished"),
    "milestone_first_key_action": ("初回キーアクション", "First key action"),
    "usage_note": (
        "日次のDAUとMAU（直近30日のアクティブユーザー）。",
        "Daily DAU and MAU (users active in the trailing 30 days).",
    ),
    "nps_note": (
        "会計四半期ごと、回答者ごとの最新回答で算出（−100〜100）。",
        "Per fiscal quarter over each respondent's latest answer (−100 to 100).",
    ),
    "health_note": ("アカウント数（ヘルスバンド別）。", "Accounts per health band."),
    "band_red": ("Red（要対応）", "Red"),
    "band_yellow": ("Yellow（注意）", "Yellow"),
    "band_green": ("Green（良好）", "Green"),
    "at_risk_note": (
        "ヘルスバンドが Red、または未対応のアラートがある有償アカウント（Red を先頭に ARR の大きい順）。",
        "Paying accounts in the Red band or with open alerts; Red first, then by ARR.",
    ),
    "account": ("アカウント", "Account"),
    "owner_csm": ("担当CSM", "Owner CSM"),
    "health_score": ("ヘルススコア", "Health score"),
    "health_band": ("ヘルスバンド", "Band"),
    "alerts": ("アラート", "Alerts"),
    "fiscal_quarter": ("会計四半期", "Fiscal quarter"),
    "footer": (
        "出典: 公開コピー（{path}）。率は確定月のみ。KPIの定義は docs/kpis.md に従います。",
        "Source: the serving copy ({path}). Rates cover complete months only. KPI definitions follow docs/kpis.md.",
    ),
}


def t(key: str, lang: str, **values: object) -> str:
    ja, en = TEXT[key]
    text = ja if lang == "ja" else en
    return text.format(**values) if values else text


def fmt_pct(value: float | None, digits: int = 1) -> str:
    return "–" if value is None else f"{value * 100:.{digits}f}%"


def fmt_int(value: float | None) -> str:
    return "–" if value is None else f"{value:,.0f}"


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
