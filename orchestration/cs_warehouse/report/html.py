"""The report page: one self-contained HTML file per language (inline CSS, SVG and a few lines of JS)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from html import escape
from typing import Any

from cs_warehouse.report import charts
from cs_warehouse.report.charts import PALETTE, Series, Step
from cs_warehouse.report.data import Missing, ReportData
from cs_warehouse.report.i18n import TEXT, fmt_int, fmt_month, fmt_month_short, fmt_pct, fmt_score, fmt_yen, t

CSS = """
:root { --ink:#1f2933; --muted:#616e7c; --line:#e4e7eb; --bg:#f5f7fa; --card:#fff; --accent:#2563eb; }
* { box-sizing: border-box; }
body { margin:0; background:var(--bg); color:var(--ink); line-height:1.5;
  font-family: "Hiragino Sans", "Noto Sans CJK JP", "Noto Sans JP", "Yu Gothic", "Meiryo", system-ui, sans-serif; }
header { background:#0f172a; color:#f8fafc; padding:20px 32px; display:flex; align-items:flex-end;
  justify-content:space-between; gap:16px; flex-wrap:wrap; }
header h1 { margin:0; font-size:22px; font-weight:700; }
header .meta { font-size:13px; color:#cbd5e1; }
header a { color:#93c5fd; font-size:14px; text-decoration:none; border:1px solid #334155; padding:4px 10px;
  border-radius:6px; }
main { max-width:1200px; margin:0 auto; padding:24px 24px 48px; }
section.card { background:var(--card); border:1px solid var(--line); border-radius:10px; padding:18px 20px;
  margin-bottom:20px; }
section h2 { margin:0 0 4px; font-size:17px; }
p.note { margin:0 0 10px; font-size:12.5px; color:var(--muted); }
.grid2 { display:grid; grid-template-columns: 1fr 1fr; gap:20px; }
.grid2 > section.card { margin-bottom:0; }
.grid2 + * { margin-top:20px; }
@media (max-width: 900px) { .grid2 { grid-template-columns: 1fr; } }
.tiles { display:grid; grid-template-columns: repeat(auto-fill, minmax(220px, 1fr)); gap:12px; margin-top:10px; }
.tile { border:1px solid var(--line); border-radius:8px; padding:12px 14px; position:relative; }
.tile .label { font-size:12.5px; color:var(--muted); }
.tile .value { font-size:24px; font-weight:700; margin:2px 0; font-variant-numeric: tabular-nums; }
.tile .sub { font-size:12px; color:var(--muted); }
.tile .delta.good { color:#15803d; } .tile .delta.bad { color:#b91c1c; }
.tile .spark { position:absolute; right:12px; top:34px; width:72px; height:26px; }
.badge { display:inline-block; font-size:11px; padding:1px 8px; border-radius:10px; margin-left:4px; }
.badge.on_track { background:#dcfce7; color:#166534; } .badge.behind { background:#fee2e2; color:#991b1b; }
.badge.none { background:#f1f5f9; color:#475569; }
.badge.red { background:#fee2e2; color:#991b1b; } .badge.yellow { background:#fef9c3; color:#854d0e; }
.badge.green { background:#dcfce7; color:#166534; } .badge.critical { background:#b91c1c; color:#fff; }
.badge.warn, .badge.warning { background:#fed7aa; color:#9a3412; }
.unavailable { border:1px dashed #cbd5e1; background:#f8fafc; border-radius:8px; padding:14px 16px; color:var(--muted);
  font-size:13.5px; }
.unavailable strong { color:var(--ink); display:block; margin-bottom:2px; }
svg.chart { width:100%; height:auto; display:block; }
table { width:100%; border-collapse:collapse; font-size:13px; }
th, td { text-align:left; padding:7px 8px; border-bottom:1px solid var(--line); vertical-align:top; }
th { font-size:12px; color:var(--muted); font-weight:600; cursor:pointer; user-select:none; white-space:nowrap; }
th[aria-sort="ascending"]::after { content:" ▲"; } th[aria-sort="descending"]::after { content:" ▼"; }
td.num { text-align:right; font-variant-numeric: tabular-nums; }
footer { font-size:12px; color:var(--muted); text-align:center; padding:0 24px 32px; }
"""

# Sorting the at-risk table is the only behaviour; everything else is static markup.
SCRIPT = """
(function () {
  document.querySelectorAll("table.sortable").forEach(function (table) {
    table.querySelectorAll("th").forEach(function (th, index) {
      th.addEventListener("click", function () {
        var body = table.tBodies[0];
        var ascending = th.getAttribute("aria-sort") !== "ascending";
        table.querySelectorAll("th").forEach(function (other) { other.removeAttribute("aria-sort"); });
        th.setAttribute("aria-sort", ascending ? "ascending" : "descending");
        var rows = Array.prototype.slice.call(body.rows);
        rows.sort(function (a, b) {
          var x = a.cells[index].getAttribute("data-sort") || a.cells[index].textContent;
          var y = b.cells[index].getAttribute("data-sort") || b.cells[index].textContent;
          var nx = parseFloat(x), ny = parseFloat(y);
          var order = (!isNaN(nx) && !isNaN(ny)) ? nx - ny : x.localeCompare(y);
          return ascending ? order : -order;
        });
        rows.forEach(function (row) { body.appendChild(row); });
      });
    });
  });
  document.documentElement.setAttribute("data-report-ready", "1");
})();
"""

# Charts in a two-column row are drawn at about their on-screen width, so their text keeps its size.
HALF = 560

# (key, format kind, higher is better); the key is the mart_kpi_monthly column and the docs/kpis.md key.
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


def _formatter(kind: str, lang: str) -> Callable[[float | None], str]:
    return {
        "yen": lambda v: fmt_yen(v, lang),
        "pct": fmt_pct,
        "pct2": lambda v: fmt_pct(v, 2),
        "int": fmt_int,
        "score": fmt_score,
    }[kind]


def _card(title: str, body: str, note: str = "", section_id: str = "") -> str:
    note_html = f'<p class="note">{escape(note)}</p>' if note else ""
    return (
        f'<section class="card" id="{section_id}" data-section="{section_id}"><h2>{escape(title)}</h2>'
        f"{note_html}{body}</section>"
    )


def _unavailable(missing: Missing, lang: str) -> str:
    return (
        f'<div class="unavailable" data-unavailable="{escape(",".join(missing.tables))}">'
        f"<strong>{escape(t('not_available', lang))}</strong>"
        f"{escape(t('not_available_detail', lang, tables=', '.join(missing.tables)))}</div>"
    )


def _no_rows(lang: str) -> str:
    return f'<div class="unavailable"><strong>{escape(t("no_rows", lang))}</strong></div>'


def _latest_value(rows: list[dict[str, Any]], key: str) -> tuple[float | None, float | None]:
    """Latest non-null value of a KPI over complete months, and the value of the month before it."""
    values = [r.get(key) for r in rows if r["is_complete"]]
    present = [i for i, v in enumerate(values) if v is not None]
    if not present:
        return None, None
    last = present[-1]
    prev = values[last - 1] if last > 0 else None
    return values[last], prev


def _status(entry: dict[str, Any], actual: float | None, higher_is_better: bool) -> str:
    status = str(entry.get("status") or "").lower().replace(" ", "_")
    if status in ("on_track", "behind"):
        return status
    target = entry.get("target")
    if target is None or actual is None:
        return "none"
    return "on_track" if (actual >= target if higher_is_better else actual <= target) else "behind"


def tiles_html(data: ReportData, lang: str) -> str:
    complete = [r for r in data.monthly if r["is_complete"]]
    if not complete:
        return _no_rows(lang)
    last_nps = next((q["nps"] for q in reversed(data.nps_quarters) if q["nps"] is not None), None)
    targets = data.targets if isinstance(data.targets, dict) else {}
    out = []
    for key, kind, higher_is_better in TILES:
        fmt = _formatter(kind, lang)
        value, prev = _latest_value(complete, key)
        if key == "nps" and last_nps is not None:
            value, prev = float(last_nps), None
        history = [r.get(key) for r in complete[-12:]]
        delta = ""
        if value is not None and prev is not None:
            change = value - prev
            good = (change >= 0) == higher_is_better
            shown = (
                fmt_yen(change, lang)
                if kind == "yen"
                else f"{change * 100:+.1f}pt"
                if "pct" in kind
                else f"{change:+,.0f}"
            )
            delta = (
                f'<span class="delta {"good" if good else "bad"}">{escape(t("vs_prev", lang))} {escape(shown)}</span>'
            )
        entry = targets.get(key)
        if entry is not None:
            status = _status(entry, value, higher_is_better)
            status_text = t(status, lang) if status != "none" else t("no_target", lang)
            target_line = (
                f'<div class="sub target">{escape(t("target", lang))} {escape(fmt(entry["target"]))}'
                f'<span class="badge {status}">{escape(status_text)}</span></div>'
            )
        else:
            target_line = ""
        out.append(
            f'<div class="tile" data-kpi="{key}">{charts.sparkline(history)}'
            f'<div class="label">{escape(t(key, lang))}</div><div class="value">{escape(fmt(value))}</div>'
            f'<div class="sub">{delta}</div>{target_line}</div>'
        )
    note = ""
    if isinstance(data.targets, Missing):
        note = f'<p class="note" data-unavailable="kpi_targets">{escape(t("targets_missing", lang))}</p>'
    return note + '<div class="tiles">' + "".join(out) + "</div>"


def waterfall_html(data: ReportData, lang: str) -> str:
    row = next((r for r in reversed(data.monthly) if r["is_complete"]), None)
    if row is None:
        return _no_rows(lang)
    steps = [
        Step(t("mrr_start", lang), row["mrr_at_start"] or 0.0, "total"),
        Step(t("new", lang), row["new_mrr"] or 0.0, "up"),
        Step(t("reactivation", lang), row["reactivation_mrr"] or 0.0, "up"),
        Step(t("expansion", lang), row["expansion_mrr"] or 0.0, "up"),
        Step(t("contraction", lang), row["contraction_mrr"] or 0.0, "down"),
        Step(t("churn", lang), row["churned_mrr"] or 0.0, "down"),
        Step(t("mrr_end", lang), row["mrr"] or 0.0, "total"),
    ]
    return charts.waterfall(steps, lambda v: fmt_yen(v, lang), label=t("sec_waterfall", lang), width=HALF)


def retention_html(data: ReportData, lang: str) -> str:
    rows = [r for r in data.monthly if r["is_complete"]][-24:]
    if not rows:
        return _no_rows(lang)
    labels = [fmt_month_short(r["month"], lang) for r in rows]
    rates = charts.line_chart(
        labels,
        [
            Series(t("nrr_12m", lang), PALETTE["blue"], [r["nrr_12m"] for r in rows]),
            Series(t("grr_12m", lang), PALETTE["teal"], [r["grr_12m"] for r in rows]),
            Series(t("nrr_monthly", lang), PALETTE["purple"], [r["nrr_monthly"] for r in rows], dashed=True),
        ],
        lambda v: fmt_pct(v, 0),
        label=t("sec_retention", lang),
        reference=1.0,
        width=HALF,
    )
    churn = charts.line_chart(
        labels,
        [Series(t("logo_churn_rate", lang), PALETTE["orange"], [r["logo_churn_rate"] for r in rows])],
        lambda v: fmt_pct(v, 1),
        label=t("logo_churn_rate", lang),
        include_zero=True,
        height=200,
        width=HALF,
    )
    return rates + churn


def churn_heatmap_html(data: ReportData, lang: str) -> str:
    hm = data.churn_heatmap
    if not hm:
        return _no_rows(lang)
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


def cohort_html(data: ReportData, lang: str) -> str:
    hm = data.cohort_heatmap
    if not hm:
        return _no_rows(lang)
    rows = [f"{fmt_month_short(m, lang)} (n={hm['sizes'][m]})" for m in hm["rows"]]
    return charts.heatmap(
        rows,
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


def funnel_html(data: ReportData, lang: str) -> str:
    if not data.funnel:
        return _no_rows(lang)
    # A milestone added to the seed later has no translation yet; its code is still readable.
    steps = [(t(key, lang) if key in TEXT else key.removeprefix("milestone_"), n) for key, n in data.funnel]
    return charts.funnel(steps, fmt_int, label=t("sec_funnel", lang), width=HALF)


def usage_html(data: ReportData, lang: str) -> str:
    if not data.usage_daily:
        return _no_rows(lang)
    rows = data.usage_daily
    labels = [r["report_date"].strftime("%m/%d") for r in rows]
    return charts.line_chart(
        labels,
        [
            Series(t("mau", lang), PALETTE["blue"], [_f(r["mau"]) for r in rows]),
            Series(t("dau", lang), PALETTE["orange"], [_f(r["dau"]) for r in rows]),
        ],
        fmt_int,
        label=t("sec_usage", lang),
        include_zero=True,
        width=HALF,
    )


def _f(value: Any) -> float | None:
    return None if value is None else float(value)


def nps_html(data: ReportData, lang: str) -> str:
    quarters = data.nps_quarters[-8:]
    if not quarters:
        return _no_rows(lang)
    labels = [f"FY{q['fiscal_year']} Q{q['fiscal_quarter']}" for q in quarters]
    return charts.bar_chart(labels, [_f(q["nps"]) for q in quarters], fmt_score, label=t("sec_nps", lang), width=HALF)


def health_html(data: ReportData, lang: str) -> str:
    if isinstance(data.health, Missing):
        return _unavailable(data.health, lang)
    health = data.health
    if not health["days"]:
        return _no_rows(lang)
    labels = [d.strftime("%m/%d") for d in health["days"]]
    layers = [
        (t("band_red", lang), PALETTE["red"], health["counts"]["red"]),
        (t("band_yellow", lang), PALETTE["yellow"], health["counts"]["yellow"]),
        (t("band_green", lang), PALETTE["green"], health["counts"]["green"]),
    ]
    return charts.stacked_bars(labels, layers, label=t("sec_health", lang), width=HALF)


def at_risk_html(data: ReportData, lang: str) -> str:
    if isinstance(data.at_risk, Missing):
        return _unavailable(data.at_risk, lang)
    if not data.at_risk:
        return _no_rows(lang)
    head = "".join(
        f"<th>{escape(t(k, lang))}</th>"
        for k in ("account", "owner_csm", "health_score", "health_band", "arr", "alerts")
    )
    body = []
    for row in data.at_risk:
        band = str(row["health_band"] or "")
        alerts = row["alerts"]
        if alerts:
            alert_html = " ".join(
                f'<span class="badge {escape(str(a["severity"] or "").lower())}">{escape(str(a["type"]))}</span>'
                for a in alerts
            )
        else:
            alert_html = escape(str(row["open_alerts"] or ""))
        score = row["health_score"]
        body.append(
            "<tr>"
            f"<td>{escape(str(row['account_name'] or row['account_id']))}</td>"
            f"<td>{escape(str(row['owner_csm'] or '–'))}</td>"
            f'<td class="num" data-sort="{score if score is not None else -1}">{fmt_int(score)}</td>'
            f'<td><span class="badge {escape(band.lower())}">{escape(band.capitalize() or "–")}</span></td>'
            f'<td class="num" data-sort="{row["arr"] or 0}">{escape(fmt_yen(row["arr"], lang))}</td>'
            f"<td>{alert_html}</td>"
            "</tr>"
        )
    return f'<table class="sortable" id="at-risk"><thead><tr>{head}</tr></thead><tbody>{"".join(body)}</tbody></table>'


def render(data: ReportData, lang: str, *, other_href: str, source: str, generated_at: dt.datetime) -> str:
    month = fmt_month(data.latest_month, lang)
    published = data.published_at or "–"
    sections = [
        _card(t("sec_tiles", lang), tiles_html(data, lang), section_id="tiles"),
        '<div class="grid2">'
        + _card(
            t("sec_waterfall", lang), waterfall_html(data, lang), f"{month} · {t('waterfall_note', lang)}", "waterfall"
        )
        + _card(t("sec_retention", lang), retention_html(data, lang), section_id="retention")
        + "</div>",
        '<div class="grid2">'
        + _card(
            t("sec_churn_heatmap", lang), churn_heatmap_html(data, lang), t("heat_churn_note", lang), "churn-heatmap"
        )
        + _card(t("sec_cohort", lang), cohort_html(data, lang), t("heat_cohort_note", lang), "cohort")
        + "</div>",
        '<div class="grid2">'
        + _card(t("sec_funnel", lang), funnel_html(data, lang), t("funnel_note", lang), "funnel")
        + _card(t("sec_usage", lang), usage_html(data, lang), t("usage_note", lang), "usage")
        + "</div>",
        '<div class="grid2">'
        + _card(t("sec_nps", lang), nps_html(data, lang), t("nps_note", lang), "nps")
        + _card(t("sec_health", lang), health_html(data, lang), t("health_note", lang), "health")
        + "</div>",
        _card(t("sec_at_risk", lang), at_risk_html(data, lang), t("at_risk_note", lang), "at-risk"),
    ]
    return f"""<!doctype html>
<html lang="{lang}">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{escape(t("title", lang))} — {escape(month)}</title>
<style>{CSS}</style>
</head>
<body>
<header>
  <div><h1>{escape(t("title", lang))} — {escape(month)}</h1>
  <div class="meta">{escape(t("published", lang))}: {escape(published)} · {escape(t("generated", lang))}: \
{escape(generated_at.isoformat(timespec="seconds"))}</div></div>
  <a href="{escape(other_href)}" hreflang="{"en" if lang == "ja" else "ja"}">{escape(t("other_lang", lang))}</a>
</header>
<main>
{"".join(sections)}
</main>
<footer>{escape(t("footer", lang, path=source))}</footer>
<script>{SCRIPT}</script>
</body>
</html>
"""
