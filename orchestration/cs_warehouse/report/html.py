"""The report pages, rendered from the package's Jinja2 templates (templates/) with autoescaping.

Python prepares what each section shows (numbers formatted, labels looked up in the models' yml through
`Contracts`, charts drawn as SVG by charts.py); the templates lay it out. Text from the warehouse (account
names, CSM ids, codes) reaches the page only through autoescaped template expressions.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from functools import cache
from typing import Any
from zoneinfo import ZoneInfo

from jinja2 import Environment, PackageLoader, StrictUndefined
from markupsafe import Markup

from cs_warehouse.report import charts
from cs_warehouse.report.charts import PALETTE, Series, Step
from cs_warehouse.report.csm import TOUCH_TIERS, CsmPage
from cs_warehouse.report.data import BANDS, BRIDGE, ReportData
from cs_warehouse.report.i18n import (
    TEXT,
    evidence_names,
    fmt_fiscal_quarter,
    fmt_hours,
    fmt_int,
    fmt_month,
    fmt_month_short,
    fmt_number,
    fmt_pct,
    fmt_score,
    fmt_timestamp,
    fmt_yen,
    t,
    value_label,
)

# Charts in a two-column row are drawn at about their on-screen width, so their text keeps its size.
HALF = 560
KPI_MART = "mart_kpi_monthly"
ALERTS = "mart_churn_risk_alerts"
Draw = Callable[[ReportData, str], str]  # a section's chart: SVG markup

# (mart_kpi_monthly column, format kind, higher is better); the label is the column's in the yml.
TILES = (
    ("mrr", "yen", True),
    ("arr", "yen", True),
    ("nrr_12m", "pct", True),
    ("grr_12m", "pct", True),
    ("logo_churn_rate", "pct2", False),
    ("nrr_monthly", "pct", True),
    ("paying_accounts", "int", True),
    ("mau", "int", True),
    ("stickiness", "pct", True),
    ("nps", "score", True),
    ("csat", "pct", True),
    ("onboarding_completion_rate", "pct", True),
)
# The at-risk table's columns: (mart, column) whose yml label heads it.
AT_RISK_HEADERS = (
    ("customer_360", "account_name"),
    ("customer_360", "owner_csm_name"),
    ("customer_360", "health_score"),
    ("customer_360", "health_band"),
    ("customer_360", "arr"),
    ("mart_churn_risk_alerts", "alert_type"),
)


@cache
def environment() -> Environment:
    return Environment(
        loader=PackageLoader("cs_warehouse.report", "templates"),
        autoescape=True,
        undefined=StrictUndefined,
        keep_trailing_newline=True,
    )


def _formatter(kind: str, lang: str) -> Callable[[float | None], str]:
    return {
        "yen": lambda v: fmt_yen(v, lang),
        "pct": fmt_pct,
        "pct2": lambda v: fmt_pct(v, 2),
        "int": fmt_int,
        "score": fmt_score,
    }[kind]


def _section(
    data: ReportData, section_id: str, title: str, marts: tuple[str, ...], has_rows: bool, **extra: Any
) -> dict[str, Any]:
    """A card: its marts with no rows (then the page says "no data" and names them), or its content."""
    empty = [m for m in marts if m in data.empty_marts]
    return {"id": section_id, "title": title, "note": "", "no_data": empty, "has_rows": has_rows, **extra}


def _latest_value(rows: list[dict[str, Any]], key: str) -> tuple[float | None, float | None]:
    """Latest non-null value of a KPI over complete months, and the value of the month before it."""
    values = [r[key] for r in rows]
    present = [i for i, v in enumerate(values) if v is not None]
    if not present:
        return None, None
    last = present[-1]
    return values[last], (values[last - 1] if last > 0 else None)


def _status(entry: dict[str, Any], actual: float | None, higher_is_better: bool) -> str:
    if entry.get("status") in ("on_track", "behind"):
        return entry["status"]
    target = entry.get("target")
    if target is None or actual is None:
        return "none"
    return "on_track" if (actual >= target if higher_is_better else actual <= target) else "behind"


def tiles(data: ReportData, lang: str) -> list[dict[str, Any]]:
    complete = [r for r in data.monthly if r["is_complete"]]
    last_nps = next((q["nps"] for q in reversed(data.nps_quarters) if q["nps"] is not None), None)
    out = []
    for key, kind, higher_is_better in TILES:
        fmt = _formatter(kind, lang)
        value, prev = _latest_value(complete, key)
        if key == "nps" and last_nps is not None:
            value, prev = float(last_nps), None
        tile: dict[str, Any] = {
            "key": key,
            "label": data.contracts.label(KPI_MART, key, lang),
            "value": fmt(value),
            "spark": Markup(charts.sparkline([r[key] for r in complete[-12:]])),
            "delta": "",
            "delta_good": False,
            "target": None,
        }
        if value is not None and prev is not None:
            change = value - prev
            tile["delta_good"] = (change >= 0) == higher_is_better
            tile["delta"] = (
                fmt_yen(change, lang)
                if kind == "yen"
                else f"{change * 100:+.1f}pt"
                if "pct" in kind
                else f"{change:+,.0f}"
            )
        entry = data.targets.get(key)
        if entry is not None:
            status = _status(entry, value, higher_is_better)
            tile["target"] = fmt(entry["target"])
            tile["status"] = status
            tile["status_text"] = value_label("status", status, lang) if status != "none" else t("no_target", lang)
        out.append(tile)
    return out


def waterfall_svg(data: ReportData, lang: str) -> str:
    row = next((r for r in reversed(data.monthly) if r["is_complete"]), None)
    if row is None:
        return ""
    kinds = {"mrr_at_start": "total", "contraction_mrr": "down", "churned_mrr": "down", "mrr": "total"}
    steps = [
        Step(
            t("mrr_end", lang) if key == "mrr" else data.contracts.label(KPI_MART, key, lang),
            row[key] or 0.0,
            kinds.get(key, "up"),
        )
        for key in BRIDGE
    ]
    return charts.waterfall(steps, lambda v: fmt_yen(v, lang), label=t("sec_waterfall", lang), width=HALF)


def retention_svg(data: ReportData, lang: str) -> str:
    rows = [r for r in data.monthly if r["is_complete"]][-24:]
    labels = [fmt_month_short(r["month"], lang) for r in rows]

    def label(key: str) -> str:
        return data.contracts.label(KPI_MART, key, lang)

    rates = charts.line_chart(
        labels,
        [
            Series(label("nrr_12m"), PALETTE["blue"], [r["nrr_12m"] for r in rows]),
            Series(label("grr_12m"), PALETTE["teal"], [r["grr_12m"] for r in rows]),
            Series(label("nrr_monthly"), PALETTE["purple"], [r["nrr_monthly"] for r in rows], dashed=True),
        ],
        lambda v: fmt_pct(v, 0),
        label=t("sec_retention", lang),
        reference=1.0,
        width=HALF,
    )
    churn = charts.line_chart(
        labels,
        [Series(label("logo_churn_rate"), PALETTE["orange"], [r["logo_churn_rate"] for r in rows])],
        lambda v: fmt_pct(v, 1),
        label=label("logo_churn_rate"),
        include_zero=True,
        height=200,
        width=HALF,
    )
    return rates + churn


def churn_heatmap_svg(data: ReportData, lang: str) -> str:
    hm = data.churn_heatmap
    assert hm is not None
    return charts.heatmap(
        hm["rows"],
        hm["cols"],
        hm["cells"],
        lambda v: fmt_pct(v, 1),
        label=t("sec_churn_heatmap", lang),
        high_is_good=False,
        notes=hm["notes"],
        row_header=t("plan", lang),
        col_header=t("tenure_band", lang),
        width=HALF,
    )


def cohort_svg(data: ReportData, lang: str) -> str:
    hm = data.cohort_heatmap
    assert hm is not None
    return charts.heatmap(
        [f"{fmt_month_short(m, lang)} (n={hm['sizes'][m]})" for m in hm["rows"]],
        [str(c) for c in hm["cols"]],
        hm["cells"],
        lambda v: f"{v * 100:.0f}",
        label=t("sec_cohort", lang),
        high_is_good=True,
        scale_max=1.0,
        notes=hm["notes"],
        row_header=t("cohort_month", lang),
        col_header=t("months_since", lang) + " (%)",
        width=HALF,
    )


def funnel_svg(data: ReportData, lang: str) -> str:
    assert data.funnel is not None
    names = data.contracts.milestone_labels(lang)

    def step_label(key: str) -> str:
        # A milestone of the mart that the seed does not name reads as its code.
        code = key.removeprefix("milestone_")
        return t(key, lang) if key in TEXT else names.get(code, code)

    steps = [(step_label(key), n) for key, n in data.funnel]
    return charts.funnel(steps, fmt_int, label=t("sec_funnel", lang), width=HALF)


def _f(value: Any) -> float | None:
    return None if value is None else float(value)


def usage_svg(data: ReportData, lang: str) -> str:
    rows = data.usage_daily
    return charts.line_chart(
        [r["report_date"].strftime("%m/%d") for r in rows],
        [
            Series(
                data.contracts.label("mart_usage_daily", "mau", lang), PALETTE["blue"], [_f(r["mau"]) for r in rows]
            ),
            Series(
                data.contracts.label("mart_usage_daily", "dau", lang), PALETTE["orange"], [_f(r["dau"]) for r in rows]
            ),
        ],
        fmt_int,
        label=t("sec_usage", lang),
        include_zero=True,
        width=HALF,
    )


def nps_svg(data: ReportData, lang: str) -> str:
    quarters = data.nps_quarters[-8:]
    labels = [fmt_fiscal_quarter(q["fiscal_year"], q["fiscal_quarter"], lang, wrap=True) for q in quarters]
    return charts.bar_chart(labels, [_f(q["nps"]) for q in quarters], fmt_score, label=t("sec_nps", lang), width=HALF)


def health_svg(data: ReportData, lang: str) -> str:
    health = data.health
    assert health is not None
    layers = [(value_label("band", b, lang), PALETTE[b], health["counts"][b]) for b in ("red", "yellow", "green")]
    return charts.stacked_bars(
        [d.strftime("%m/%d") for d in health["days"]], layers, label=t("sec_health", lang), width=HALF
    )


def list_count(shown: int, total: int, lang: str, key: str = "list_count") -> str:
    """The size of a list beside it: "25 of 145" when it is cut, else its count."""
    if shown < total:
        return t(f"{key}_cut", lang, shown=fmt_int(shown), total=fmt_int(total))
    return t(key, lang, total=fmt_int(total))


def csm_hrefs(data: ReportData, lang: str, prefix: str = "csm/") -> dict[str, str]:
    """CRM user id -> the link to that CSM's page in `lang`."""
    pages = data.csm.csms if data.csm else []
    return {p.user_id: f"{prefix}{p.page_id}.{lang}.html" for p in pages}


def at_risk_rows(data: ReportData, lang: str) -> list[dict[str, Any]]:
    out = []
    hrefs = csm_hrefs(data, lang)
    for row in data.at_risk:
        score, band = row["health_score"], row["health_band"]
        out.append(
            {
                "name": row["account_name"] or row["account_id"],
                "owner": row["owner_csm_name"] or row["owner_csm_user_id"] or "–",
                "owner_href": hrefs.get(row["owner_csm_user_id"]),
                "score": fmt_int(score),
                "score_sort": score if score is not None else -1,
                "band": band or "",
                "band_label": value_label("band", band, lang) if band else "–",
                "arr": fmt_yen(row["arr"], lang),
                "arr_sort": row["arr"] or 0,
                "alerts": [
                    {
                        "label": value_label("alert", a["type"], lang),
                        "severity": a["severity"],
                        "severity_label": value_label("severity", a["severity"], lang),
                    }
                    for a in row["alerts"]
                ],
            }
        )
    return out


def render(data: ReportData, lang: str, *, other_href: str, source: str, generated_at: dt.datetime, zone: str) -> str:
    complete = any(r["is_complete"] for r in data.monthly)

    def section(
        section_id: str, title: str, marts: tuple[str, ...], has_rows: bool, draw: Draw, note: str = ""
    ) -> dict[str, Any]:
        # charts.py escapes every text it puts in the SVG.
        chart = Markup(draw(data, lang)) if has_rows else Markup("")
        return _section(data, section_id, t(title, lang), marts, has_rows, chart=chart, note=note)

    month = fmt_month(data.latest_month, lang)
    kpi = (KPI_MART,)
    grid = [
        [
            section(
                "waterfall", "sec_waterfall", kpi, complete, waterfall_svg, f"{month} · {t('waterfall_note', lang)}"
            ),
            section("retention", "sec_retention", kpi, complete, retention_svg),
        ],
        [
            section(
                "churn-heatmap",
                "sec_churn_heatmap",
                ("mart_churn_by_plan_tenure",),
                data.churn_heatmap is not None,
                churn_heatmap_svg,
                t("heat_churn_note", lang),
            ),
            section(
                "cohort",
                "sec_cohort",
                ("mart_cohort_retention",),
                data.cohort_heatmap is not None,
                cohort_svg,
                t("heat_cohort_note", lang),
            ),
        ],
        [
            section(
                "funnel",
                "sec_funnel",
                ("mart_onboarding_cohorts",),
                bool(data.funnel),
                funnel_svg,
                t("funnel_note", lang),
            ),
            section(
                "usage", "sec_usage", ("mart_usage_daily",), bool(data.usage_daily), usage_svg, t("usage_note", lang)
            ),
        ],
        [
            section("nps", "sec_nps", ("mart_nps_quarterly",), bool(data.nps_quarters), nps_svg, t("nps_note", lang)),
            section(
                "health",
                "sec_health",
                ("mart_health_score_daily",),
                data.health is not None,
                health_svg,
                t("health_note", lang),
            ),
        ],
    ]
    context = {
        "lang": lang,
        "other_lang": "en" if lang == "ja" else "ja",
        "other_href": other_href,
        "team_href": f"team.{lang}.html",
        "month": month,
        "published": fmt_timestamp(data.published_at, lang, zone),
        "generated": fmt_timestamp(generated_at, lang, zone),
        "zone": generated_at.astimezone(ZoneInfo(zone)).strftime("%Z"),
        "source": source,
        "targets_no_data": "mart_kpi_targets" in data.empty_marts,
        "tiles": _section(
            data, "tiles", t("sec_tiles", lang), kpi, complete, entries=tiles(data, lang) if complete else []
        ),
        "grid": grid,
        "at_risk": {
            **_section(data, "at-risk", t("sec_at_risk", lang), ("customer_360",), bool(data.at_risk)),
            "note": t("at_risk_note", lang),
            "headers": [data.contracts.label(mart, column, lang) for mart, column in AT_RISK_HEADERS],
            "entries": at_risk_rows(data, lang),
            "count": list_count(len(data.at_risk), data.at_risk_total, lang),
        },
        "t": lambda key, **values: t(key, lang, **values),
    }
    return environment().get_template("report.html.j2").render(context)


def render_index(pages: dict[str, str]) -> str:
    return environment().get_template("index.html.j2").render(pages=pages)


def _evidence(alert: dict[str, Any], data: ReportData, lang: str) -> str:
    """An alert's evidence in words: what was measured, what it is compared with, the rule's threshold."""
    metric = alert["evidence_metric"]
    names = evidence_names(metric, lang) or (
        metric,
        data.contracts.label(ALERTS, "evidence_compared_to", lang),
        data.contracts.label(ALERTS, "evidence_threshold", lang),
    )
    values = [fmt_number(alert[k]) for k in ("evidence_value", "evidence_compared_to", "evidence_threshold")]
    if lang == "ja":
        return f"{names[0]} {values[0]}（{names[1]} {values[1]}、{names[2]} {values[2]}）"
    return f"{names[0]} {values[0]} ({names[1]} {values[1]}, {names[2]} {values[2]})"


def _band(band: str | None, lang: str) -> dict[str, str]:
    return {"band": band or "", "band_label": value_label("band", band, lang) if band else "–"}


def _page_common(data: ReportData, lang: str, generated_at: dt.datetime, zone: str, source: str) -> dict[str, Any]:
    return {
        "lang": lang,
        "other_lang": "en" if lang == "ja" else "ja",
        "published": fmt_timestamp(data.published_at, lang, zone),
        "generated": fmt_timestamp(generated_at, lang, zone),
        "zone": generated_at.astimezone(ZoneInfo(zone)).strftime("%Z"),
        "source": source,
        "t": lambda key, **values: t(key, lang, **values),
    }


def csm_display_name(page: CsmPage) -> str:
    return f"{page.name}（{page.user_id}）" if page.name else page.user_id


def render_csm(data: ReportData, page: CsmPage, lang: str, *, source: str, generated_at: dt.datetime, zone: str) -> str:
    """One CSM's page: open actionable alerts with evidence, accounts by band, touches due, renewals."""
    csm = data.csm
    assert csm is not None
    label = data.contracts.label
    alerts = [
        {
            "account": a["account_name"] or a["account_id"],
            "type": value_label("alert", a["alert_type"], lang),
            "severity": a["severity"],
            "severity_label": value_label("severity", a["severity"], lang),
            "evidence": _evidence(a, data, lang),
            "detected": a["first_detected_date"].isoformat() if a["first_detected_date"] else "–",
            "arr_at_risk": fmt_yen(a["arr_at_risk"], lang),
            "arr_sort": a["arr_at_risk"] or 0,
            "capped": a["is_within_daily_cap"] is False,
        }
        for a in page.alerts
    ]
    accounts = [
        {
            "name": a["account_name"] or a["account_id"],
            "tier": value_label("tier", a["touch_tier"], lang) if a["touch_tier"] else "–",
            "score": fmt_int(a["health_score"]),
            "score_sort": a["health_score"] if a["health_score"] is not None else -1,
            **_band(a["health_band"], lang),
            "arr": fmt_yen(a["arr"], lang),
            "arr_sort": a["arr"] or 0,
            "open_alerts": fmt_int(a["open_alerts"]),
        }
        for a in page.accounts
    ]
    touches = [
        {
            "name": r["account_name"] or r["account_id"],
            "tier": value_label("tier", r["touch_tier"], lang) if r["touch_tier"] else "–",
            "prescribed": fmt_int(r["prescribed_touches"]),
            "actual": fmt_int(r["actual_touches"]),
        }
        for r in page.touches_due
    ]
    renewals = [
        {
            "name": r["account_name"] or r["account_id"],
            "date": r["next_renewal_date"].isoformat(),
            **_band(r["health_band"], lang),
            "arr": fmt_yen(r["arr"], lang),
            "arr_sort": r["arr"] or 0,
        }
        for r in page.renewals
    ]
    bands = [
        {"band": b, "label": value_label("band", b, lang) if b != "none" else "–", "count": page.bands.get(b, 0)}
        for b in (*BANDS, "none")
        if b != "none" or page.bands.get("none")
    ]
    other = "en" if lang == "ja" else "ja"
    context = {
        **_page_common(data, lang, generated_at, zone, source),
        "other_href": f"{page.page_id}.{other}.html",
        "report_href": f"../report.{lang}.html",
        "team_href": f"../team.{lang}.html",
        "csm_name": csm_display_name(page),
        "as_of": csm.as_of.isoformat() if csm.as_of else "–",
        "touch_month": fmt_month(csm.touch_month, lang),
        "has_activity_log": csm.has_activity_log,
        "alerts": alerts,
        "alerts_count": list_count(len(alerts), page.alerts_total, lang, "list_count_alerts"),
        "alert_headers": [
            label("customer_360", "account_name", lang),
            label(ALERTS, "alert_type", lang),
            label(ALERTS, "evidence_value", lang),
            label(ALERTS, "first_detected_date", lang),
            label(ALERTS, "arr_at_risk", lang),
        ],
        "bands": bands,
        "accounts": accounts,
        "accounts_count": list_count(len(accounts), page.accounts_total, lang),
        "account_headers": [
            label("customer_360", c, lang)
            for c in ("account_name", "touch_tier", "health_score", "health_band", "arr", "open_alerts")
        ],
        "touches": touches,
        "touches_count": list_count(len(touches), page.touches_due_total, lang),
        "touch_accounts": fmt_int(page.touch_accounts),
        "touch_headers": [
            label("customer_360", "account_name", lang),
            label("mart_touch_coverage", "touch_tier", lang),
            label("mart_touch_coverage", "prescribed_touches", lang),
            label("mart_touch_coverage", "actual_touches", lang),
        ],
        "renewals": renewals,
        "renewals_count": list_count(len(renewals), page.renewals_total, lang),
        "renewal_headers": [
            label("customer_360", c, lang) for c in ("account_name", "next_renewal_date", "health_band", "arr")
        ],
    }
    return environment().get_template("csm.html.j2").render(context)


def render_team(data: ReportData, lang: str, *, source: str, generated_at: dt.datetime, zone: str) -> str:
    """The team page: touch coverage by tier, alert response by month, workload per CSM, links to each CSM."""
    csm = data.csm
    assert csm is not None
    label = data.contracts.label
    months = sorted({r["month"] for r in csm.coverage})
    by_key = {(r["month"], r["touch_tier"]): r for r in csm.coverage}
    tiers = [tier for tier in TOUCH_TIERS if any(k[1] == tier for k in by_key)]
    tiers += sorted({k[1] for k in by_key} - set(tiers))
    coverage = [
        {
            "tier": tier,
            "tier_label": value_label("tier", tier, lang),
            "cells": [
                {
                    "value": fmt_pct(_f(r["touch_coverage"]), 0) if r else "",
                    "note": f"{fmt_int(r['covered_accounts'])}/{fmt_int(r['accounts'])}"
                    if r and r["covered_accounts"] is not None
                    else "",
                }
                for r in (by_key.get((m, tier)) for m in months)
            ],
        }
        for tier in tiers
    ]
    response = [
        {
            "month": fmt_month(r["month"], lang)
            + (t("running_month", lang) if csm.as_of and r["month"] >= csm.as_of.replace(day=1) else ""),
            "episodes": fmt_int(r["episodes"]),
            "acted": fmt_int(r["acted"]),
            "decided": fmt_int(r["decided"]),
            "rate": fmt_pct(r["acted"] / r["decided"], 0) if r["decided"] else "–",
            "median": fmt_hours(_f(r["median_hours"])),
        }
        for r in csm.response
    ]
    pages = {p.user_id: p for p in csm.csms}
    workload = [
        {
            "name": r["csm_name"] or r["csm_user_id"],
            "href": f"csm/{pages[r['csm_user_id']].page_id}.{lang}.html" if r["csm_user_id"] in pages else None,
            "accounts": fmt_int(r["accounts"]),
            "tiers": " / ".join(fmt_int(r[f"{tier}_accounts"]) for tier in TOUCH_TIERS),
            "arr": fmt_yen(r["arr_at_start"], lang),
            "arr_sort": r["arr_at_start"] or 0,
            "activities": fmt_int(r["activities_completed"]),
            "alerts": fmt_int(r["alerts_raised"]),
            "acted": fmt_int(r["alerts_acted_within_sla"]),
            "rate": fmt_pct(_f(r["alert_action_rate"]), 0),
            "median": fmt_hours(_f(r["median_response_hours"])),
            "coverage": fmt_pct(_f(r["touch_coverage"]), 0),
        }
        for r in csm.workload
    ]
    wl = "mart_csm_workload"
    other = "en" if lang == "ja" else "ja"
    context = {
        **_page_common(data, lang, generated_at, zone, source),
        "other_href": f"team.{other}.html",
        "report_href": f"report.{lang}.html",
        "has_activity_log": csm.has_activity_log,
        "coverage_months": [fmt_month_short(m, lang) for m in months],
        "coverage": coverage,
        "response": response,
        "workload_month": fmt_month(csm.workload_month, lang),
        "workload": workload,
        "workload_headers": [
            label(wl, "csm_name", lang),
            label(wl, "accounts", lang),
            t("tier_accounts", lang),
            label(wl, "arr_at_start", lang),
            label(wl, "activities_completed", lang),
            label(wl, "alerts_raised", lang),
            label(wl, "alerts_acted_within_sla", lang),
            label(wl, "alert_action_rate", lang),
            label(wl, "median_response_hours", lang),
            label(wl, "touch_coverage", lang),
        ],
        "csms": [
            {"name": csm_display_name(p), "href": f"csm/{p.page_id}.{lang}.html", "alerts": p.alerts_total}
            for p in csm.csms
        ],
    }
    return environment().get_template("team.html.j2").render(context)
