"""The short KPI summary printed at the end of a nightly run and written beside the reports."""

from __future__ import annotations

import json
from pathlib import Path

import duckdb

from cs_warehouse import serving


def kpi_summary(con: duckdb.DuckDBPyConnection) -> dict:
    """Headline numbers of the latest complete month, as mart_kpi_monthly publishes them (no KPI is
    recomputed here: the summary and the BI tools read the same cells)."""
    row = con.execute(
        """
        select month, mrr, arr, paying_accounts, logo_churn_rate
        from marts.mart_kpi_monthly
        where is_complete
        order by month desc
        limit 1
        """
    ).fetchall()
    if not row:
        return {"month": None}
    month, mrr, arr, paying, logo_churn_rate = row[0]
    return {
        "month": month.isoformat(),
        "mrr_jpy": float(mrr),
        "arr_jpy": float(arr),
        "paying_accounts": paying,
        "logo_churn_rate": float(logo_churn_rate) if logo_churn_rate is not None else None,
    }


def write_summary(serving_path: Path, reports_dir: Path) -> dict:
    with serving.connect(serving_path) as con:
        summary = kpi_summary(con)
    reports_dir.mkdir(parents=True, exist_ok=True)
    (reports_dir / "kpi_summary.json").write_text(json.dumps(summary, ensure_ascii=False, indent=2) + "\n")
    return summary


def format_summary(summary: dict) -> str:
    if not summary.get("month"):
        return "No complete month in the warehouse yet."
    churn = summary["logo_churn_rate"]
    churn_text = f"{churn:.2%}" if churn is not None else "n/a"
    return "\n".join(
        [
            f"KPI summary for {summary['month'][:7]} (latest complete month)",
            f"  MRR  {summary['mrr_jpy']:>16,.0f} JPY",
            f"  ARR  {summary['arr_jpy']:>16,.0f} JPY",
            f"  paying accounts            {summary['paying_accounts']:>6}",
            f"  logo churn rate (解約率)   {churn_text:>6}",
        ]
    )
