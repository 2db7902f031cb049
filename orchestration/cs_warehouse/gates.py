"""Publish gates: a night whose numbers moved too far from the last PUBLISHED night does not publish.

Compared with the published serving copy (never with the last loaded night, so a second bad night in a row
still fails), from counts and sums only:

- volume: rows of each snapshot export (the raw table) vs the rows recorded with the publication;
- quarantine: share of an export's rows the loader quarantined; any quarantined row of a revenue entity;
- mrr: company MRR of the latest complete month vs the published latest complete month, and every
  already-published complete month vs its published value (history rewritten);
- bounds: account-month MRR and the first month of mart_kpi_monthly within absolute limits.

The limits are in contract/publish_gates.yml. The baseline (raw row counts) is stored in the serving copy's
`_publication` table by the publish step, so it moves only when a night publishes. The first night (no
serving copy) has no baseline: the volume and MRR gates pass, quarantine and bounds still apply.

An operator lets a real change through with `cs-warehouse gates accept <entity|mrr> --reason ...`
(`make accept-change`): the failing numbers are appended to the ledger `gate_acceptances.jsonl` beside the
serving copy (who, when, why, what), and a gate passes when it sees exactly those numbers against the same
publication. The next publish moves the baseline, so an acceptance is used at most once.
"""

from __future__ import annotations

import datetime as dt
import getpass
import json
import os
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import duckdb
import yaml

from cs_warehouse.ingestion.audit import RAW_SCHEMA

GATES_PATH = Path(__file__).resolve().parents[2] / "contract" / "publish_gates.yml"
LEDGER_NAME = "gate_acceptances.jsonl"
MRR_SUBJECT = "mrr"


# --- settings -------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class VolumeLimit:
    min_change: float
    max_change: float
    min_rows: int


@dataclass(frozen=True)
class GateConfig:
    default_volume: VolumeLimit
    default_max_quarantined_share: float
    revenue_entities: tuple[str, ...]
    mrr_min_change: float
    mrr_max_change: float
    history_tolerance: float
    max_account_mrr: float
    earliest_month: dt.date
    entity_volume: dict[str, VolumeLimit] = field(default_factory=dict)
    entity_max_quarantined_share: dict[str, float] = field(default_factory=dict)

    def volume(self, entity: str) -> VolumeLimit:
        return self.entity_volume.get(entity, self.default_volume)

    def max_quarantined_share(self, entity: str) -> float:
        return self.entity_max_quarantined_share.get(entity, self.default_max_quarantined_share)


def parse_gate_config(document: dict) -> GateConfig:
    defaults = document.get("defaults") or {}
    default_volume = VolumeLimit(
        **{"min_change": -0.10, "max_change": 0.50, "min_rows": 5, **defaults.get("volume", {})}
    )
    default_share = float((defaults.get("quarantine") or {}).get("max_share", 0.05))
    entity_volume, entity_share = {}, {}
    for name, spec in (document.get("entities") or {}).items():
        if "volume" in spec:
            entity_volume[name] = replace(default_volume, **spec["volume"])
        if "quarantine" in spec:
            entity_share[name] = float(spec["quarantine"]["max_share"])
    mrr = {"min_change": -0.20, "max_change": 0.20, "history_tolerance": 0.02, **(document.get("mrr") or {})}
    bounds = {"max_account_mrr": 100_000_000, "earliest_month": "2020-01-01", **(document.get("bounds") or {})}
    return GateConfig(
        default_volume=default_volume,
        default_max_quarantined_share=default_share,
        revenue_entities=tuple(document.get("revenue_entities", ("contracts", "contract_items"))),
        mrr_min_change=float(mrr["min_change"]),
        mrr_max_change=float(mrr["max_change"]),
        history_tolerance=float(mrr["history_tolerance"]),
        max_account_mrr=float(bounds["max_account_mrr"]),
        earliest_month=dt.date.fromisoformat(str(bounds["earliest_month"])),
        entity_volume=entity_volume,
        entity_max_quarantined_share=entity_share,
    )


def load_gate_config(path: Path = GATES_PATH) -> GateConfig:
    return parse_gate_config(yaml.safe_load(path.read_text(encoding="utf-8")) or {})


# --- the arithmetic (pure) ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Finding:
    """A failed gate. `observed` holds the numbers an acceptance must match; bounds cannot be accepted."""

    gate: str
    subject: str
    message: str
    observed: dict[str, Any]
    acceptable: bool = True
    accepted: dict[str, Any] | None = None


def _pct(change: float) -> str:
    return f"{change * 100:+.1f} %"


def volume_finding(entity: str, rows: int, published_rows: int | None, limit: VolumeLimit) -> Finding | None:
    """Rows now vs rows published; None when within the limits, when fewer than `min_rows` rows changed, or
    when nothing was published (first night, or an entity that was empty when published)."""
    if not published_rows or abs(rows - published_rows) < limit.min_rows:
        return None
    change = rows / published_rows - 1
    if limit.min_change <= change <= limit.max_change:
        return None
    bound = limit.min_change if change < limit.min_change else limit.max_change
    return Finding(
        "volume",
        entity,
        f"{entity}: {rows} rows vs {published_rows} published ({_pct(change)}, limit {_pct(bound)})",
        {"rows": rows, "published_rows": published_rows},
    )


def quarantine_finding(
    entity: str, rows_read: int, quarantined: int, max_share: float, revenue: bool
) -> Finding | None:
    """Quarantined rows of the export's latest load: any for a revenue entity, else a share above `max_share`."""
    if quarantined <= 0 or rows_read <= 0:
        return None
    share = quarantined / rows_read
    observed = {"rows_read": rows_read, "rows_quarantined": quarantined}
    if revenue:
        return Finding(
            "quarantine",
            entity,
            f"{entity}: {quarantined} of {rows_read} rows quarantined ({share * 100:.1f} %); a revenue entity "
            "must have none, MRR would miss them",
            observed,
        )
    if share <= max_share:
        return None
    return Finding(
        "quarantine",
        entity,
        f"{entity}: {quarantined} of {rows_read} rows quarantined ({share * 100:.1f} %, limit {max_share * 100:.1f} %)",
        observed,
    )


MonthlyMrr = dict[dt.date, tuple[float, bool]]  # month -> (company MRR, month complete)


def _latest_complete(months: MonthlyMrr) -> dt.date | None:
    complete = [m for m, (_, is_complete) in months.items() if is_complete]
    return max(complete) if complete else None


def mrr_findings(new: MonthlyMrr, published: MonthlyMrr, cfg: GateConfig) -> list[Finding]:
    """The new marts' MRR vs the published copy's: the latest complete month (vs the published latest
    complete month, a month-over-month move when a month closed) and every published complete month."""
    findings = []
    new_latest, pub_latest = _latest_complete(new), _latest_complete(published)
    if new_latest is not None and pub_latest is not None and published[pub_latest][0] > 0:
        value, pub_value = new[new_latest][0], published[pub_latest][0]
        change = value / pub_value - 1
        if not cfg.mrr_min_change <= change <= cfg.mrr_max_change:
            bound = cfg.mrr_min_change if change < cfg.mrr_min_change else cfg.mrr_max_change
            findings.append(
                Finding(
                    "mrr",
                    MRR_SUBJECT,
                    f"MRR {new_latest:%Y-%m}: {value:,.0f} vs {pub_value:,.0f} published for {pub_latest:%Y-%m} "
                    f"({_pct(change)}, limit {_pct(bound)})",
                    {"month": new_latest.isoformat(), "mrr": round(value, 2), "published_mrr": round(pub_value, 2)},
                )
            )
    rewritten = {}
    for month, (old, is_complete) in sorted(published.items()):
        if not is_complete:
            continue
        value = new.get(month, (0.0, False))[0]
        if old == value:
            continue
        change = value / old - 1 if old else float("inf")
        if abs(change) > cfg.history_tolerance:
            rewritten[month] = (value, old, change)
    if rewritten:
        worst = max(rewritten, key=lambda m: abs(rewritten[m][2]))
        value, old, change = rewritten[worst]
        findings.append(
            Finding(
                "mrr_history",
                MRR_SUBJECT,
                f"MRR history rewritten: {len(rewritten)} published month(s) changed by more than "
                f"±{cfg.history_tolerance * 100:.1f} %, largest {worst:%Y-%m}: {value:,.0f} vs {old:,.0f} published "
                f"({_pct(change) if old else 'from 0'})",
                {"months": {m.isoformat(): round(v[0], 2) for m, v in rewritten.items()}},
            )
        )
    return findings


def bounds_findings(
    top_account_month: tuple[str, dt.date, float] | None, first_month: dt.date | None, cfg: GateConfig
) -> list[Finding]:
    """Absolute limits on the marts: the largest account-month MRR and the first month of the KPI table."""
    findings = []
    if top_account_month is not None and top_account_month[2] > cfg.max_account_mrr:
        account, month, value = top_account_month
        findings.append(
            Finding(
                "bounds",
                "max_account_mrr",
                f"account {account} MRR {month:%Y-%m}: {value:,.0f} above the limit {cfg.max_account_mrr:,.0f}",
                {"account_id": account, "month": month.isoformat(), "mrr": value},
                acceptable=False,
            )
        )
    if first_month is not None and first_month < cfg.earliest_month:
        findings.append(
            Finding(
                "bounds",
                "earliest_month",
                f"mart_kpi_monthly starts {first_month:%Y-%m}, before the earliest business month "
                f"{cfg.earliest_month:%Y-%m}",
                {"first_month": first_month.isoformat()},
                acceptable=False,
            )
        )
    return findings


# --- reading the warehouse and the serving copy ---------------------------------------------------------


@dataclass(frozen=True)
class Baseline:
    """What the last publication recorded: when, and the raw row count of every snapshot export."""

    published_at: str
    row_counts: dict[str, int]


def _connect(path: Path) -> duckdb.DuckDBPyConnection:
    return duckdb.connect(str(path), read_only=True)


def _has_table(con: duckdb.DuckDBPyConnection, schema: str, table: str) -> bool:
    sql = "select count(*) from information_schema.tables where table_schema = ? and table_name = ?"
    return bool(con.execute(sql, [schema, table]).fetchall()[0][0])


def snapshot_row_counts(
    con: duckdb.DuckDBPyConnection, entities: list[str], catalog: str | None = None
) -> dict[str, int]:
    """Rows of each snapshot raw table (`catalog`: the name the warehouse is attached under, if any)."""
    prefix = f"{catalog}." if catalog else ""
    sql = "select count(*) from information_schema.tables where table_schema = ? and table_name = ?"
    if catalog:
        sql += f" and table_catalog = '{catalog}'"
    counts = {}
    for entity in entities:
        if con.execute(sql, [RAW_SCHEMA, entity]).fetchall()[0][0]:
            counts[entity] = con.execute(f"select count(*) from {prefix}{RAW_SCHEMA}.{entity}").fetchall()[0][0]
    return counts


def read_baseline(serving_path: Path) -> Baseline | None:
    if not serving_path.exists():
        return None
    with _connect(serving_path) as con:
        columns = {
            r[0]
            for r in con.execute(
                "select column_name from duckdb_columns() where table_name = '_publication'"
            ).fetchall()
        }
        if "baseline_json" not in columns:
            return None
        published_at, body = con.execute("select published_at, baseline_json from main._publication").fetchall()[0]
    return Baseline(str(published_at), json.loads(body or "{}").get("row_counts", {}))


def latest_load_stats(con: duckdb.DuckDBPyConnection, entities: list[str]) -> dict[str, tuple[int, int]]:
    """Rows read and quarantined by the latest load of each snapshot export (a snapshot is one file)."""
    if not _has_table(con, RAW_SCHEMA, "_load_audit"):
        return {}
    rows = con.execute(
        f"select entity, arg_max(rows_read, loaded_at), arg_max(rows_quarantined, loaded_at) "
        f"from {RAW_SCHEMA}._load_audit where entity in (select unnest(?)) group by entity",
        [entities],
    ).fetchall()
    return {entity: (int(read), int(quarantined)) for entity, read, quarantined in rows}


def monthly_mrr(con: duckdb.DuckDBPyConnection) -> MonthlyMrr:
    if not _has_table(con, "marts", "mart_kpi_monthly"):
        return {}
    rows = con.execute("select month, mrr, is_complete from marts.mart_kpi_monthly").fetchall()
    return {month: (float(mrr or 0), bool(complete)) for month, mrr, complete in rows}


def top_account_month(con: duckdb.DuckDBPyConnection) -> tuple[str, dt.date, float] | None:
    if not _has_table(con, "marts", "mart_mrr_movements"):
        return None
    row = con.execute(
        "select account_id, month, mrr_end from marts.mart_mrr_movements order by mrr_end desc nulls last limit 1"
    ).fetchall()
    return (row[0][0], row[0][1], float(row[0][2])) if row and row[0][2] is not None else None


# --- evaluation and acceptances -------------------------------------------------------------------------


def export_findings(
    warehouse_path: Path, serving_path: Path, entities: list[str], cfg: GateConfig
) -> dict[str, list[Finding]]:
    """Volume and quarantine gates of each snapshot export, acceptances applied."""
    baseline = read_baseline(serving_path)
    with _connect(warehouse_path) as con:
        counts = snapshot_row_counts(con, entities)
        stats = latest_load_stats(con, entities)
    found: dict[str, list[Finding]] = {}
    for entity in entities:
        findings = []
        published = baseline.row_counts.get(entity) if baseline else None
        if entity in counts:
            findings.append(volume_finding(entity, counts[entity], published, cfg.volume(entity)))
        if entity in stats:
            read, quarantined = stats[entity]
            revenue = entity in cfg.revenue_entities
            findings.append(quarantine_finding(entity, read, quarantined, cfg.max_quarantined_share(entity), revenue))
        found[entity] = apply_acceptances([f for f in findings if f], serving_path, baseline)
    return found


def mart_findings(warehouse_path: Path, serving_path: Path, cfg: GateConfig) -> list[Finding]:
    """MRR vs the published copy and the absolute bounds on the marts, acceptances applied."""
    with _connect(warehouse_path) as con:
        new = monthly_mrr(con)
        top = top_account_month(con)
    published: MonthlyMrr = {}
    if serving_path.exists():
        with _connect(serving_path) as con:
            published = monthly_mrr(con)
    findings = mrr_findings(new, published, cfg) + bounds_findings(top, min(new) if new else None, cfg)
    return apply_acceptances(findings, serving_path, read_baseline(serving_path))


def ledger_path(serving_path: Path) -> Path:
    return serving_path.parent / LEDGER_NAME


def read_ledger(serving_path: Path) -> list[dict[str, Any]]:
    path = ledger_path(serving_path)
    if not path.exists():
        return []
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def _same(a: dict[str, Any], b: dict[str, Any]) -> bool:
    return json.dumps(a, sort_keys=True) == json.dumps(b, sort_keys=True)


def apply_acceptances(findings: list[Finding], serving_path: Path, baseline: Baseline | None) -> list[Finding]:
    """Mark the findings an operator accepted: same gate, subject and numbers, against this publication."""
    published_at = baseline.published_at if baseline else None
    entries = read_ledger(serving_path)
    out = []
    for finding in findings:
        match = next(
            (
                e
                for e in reversed(entries)
                if finding.acceptable
                and e["gate"] == finding.gate
                and e["subject"] == finding.subject
                and e["baseline_published_at"] == published_at
                and _same(e["observed"], finding.observed)
            ),
            None,
        )
        out.append(replace(finding, accepted=match) if match else finding)
    return out


def failing(findings: list[Finding]) -> list[Finding]:
    return [f for f in findings if f.accepted is None]


def describe(findings: list[Finding]) -> str:
    """One line: the failing findings, then the accepted ones with who accepted them."""
    parts = [f.message for f in failing(findings)]
    parts += [f"accepted by {f.accepted['accepted_by']}: {f.message}" for f in findings if f.accepted]
    return "; ".join(parts)


def accept(
    subject: str, reason: str, warehouse_path: Path, serving_path: Path, entities: list[str], by: str | None = None,
    cfg: GateConfig | None = None,
) -> list[dict[str, Any]]:  # fmt: skip
    """Record the currently failing gates of `subject` (an entity, or `mrr`) in the ledger; returns the entries."""
    if not reason.strip():
        raise ValueError("a reason is required")
    cfg = cfg or load_gate_config()
    if subject == MRR_SUBJECT:
        findings = mart_findings(warehouse_path, serving_path, cfg)
    elif subject in entities:
        findings = export_findings(warehouse_path, serving_path, [subject], cfg)[subject]
    else:
        raise ValueError(f"unknown subject {subject!r}: one of {', '.join([*entities, MRR_SUBJECT])}")
    todo = [f for f in failing(findings) if f.subject == subject and f.acceptable]
    if not todo:
        raise ValueError(f"nothing to accept: no acceptable gate fails for {subject} against the published copy")
    baseline = read_baseline(serving_path)
    now = dt.datetime.now(dt.UTC).isoformat(timespec="seconds")
    entries = [
        {
            "accepted_at": now,
            "accepted_by": by or os.environ.get("CSW_OPERATOR") or getpass.getuser(),
            "gate": f.gate,
            "subject": f.subject,
            "message": f.message,
            "observed": f.observed,
            "baseline_published_at": baseline.published_at if baseline else None,
            "reason": reason.strip(),
        }
        for f in todo
    ]
    path = ledger_path(serving_path)
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "a", encoding="utf-8") as fh:
        for entry in entries:
            fh.write(json.dumps(entry, ensure_ascii=False) + "\n")
    return entries
