"""Import an outside export through a column mapping (mappings/*.yml) and report what it could not load.

The mapping turns each source file into contract-shaped landing files, one output row per source row; the
ordinary ingestion then loads them, so the outside data meets exactly the rules our own data meets. Every
source row is accounted for: mapped (then loaded or quarantined) or dropped by the mapping's `where` with
a stated reason. `cs-warehouse import-ravenstack --mapping mappings/ravenstack.yml --source DIR --out DIR`.
"""

from __future__ import annotations

import csv
import io
import json
from dataclasses import asdict, dataclass, field
from pathlib import Path

import duckdb
import pyarrow as pa
import yaml

from cs_warehouse.contract import load_contract
from cs_warehouse.ingestion.load import load_landing
from cs_warehouse.ingestion.readers import decode_landing_text
from cs_warehouse.sqltext import quote_ident


@dataclass
class TargetReport:
    entity: str
    source_file: str
    rows_read: int
    rows_mapped: int
    rows_dropped: int
    dropped_reason: str | None
    rows_loaded: int = 0
    rows_quarantined: int = 0
    quarantined_by_rule: dict[str, int] = field(default_factory=dict)
    sample_source_lines: dict[str, list[int]] = field(default_factory=dict)

    @property
    def reconciles(self) -> bool:
        return (
            self.rows_read == self.rows_mapped + self.rows_dropped
            and self.rows_mapped == self.rows_loaded + self.rows_quarantined
        )


@dataclass
class ImportReport:
    mapping: str
    credit: str | None
    targets: list[TargetReport]
    findings: dict[str, dict]
    assumptions: list[str]

    @property
    def reconciles(self) -> bool:
        return all(t.reconciles for t in self.targets)

    def to_json(self) -> str:
        body = asdict(self)
        body["reconciles"] = self.reconciles
        return json.dumps(body, ensure_ascii=False, indent=2)


def _source_table(path: Path) -> pa.Table:
    """All-text table of a source CSV with the physical line each record starts on."""
    text, _ = decode_landing_text(path)
    reader = csv.reader(io.StringIO(text, newline=""))
    header = next(reader)
    lines, records, line_no = [], [], 2
    for record in reader:
        lines.append(line_no)
        records.append(record)
        line_no = reader.line_num + 1
    columns = {"_source_line": pa.array(lines, pa.int64())}
    for i, name in enumerate(header):
        columns[name] = pa.array([(r[i] if i < len(r) and r[i] != "" else None) for r in records], pa.string())
    return pa.table(columns)


def _write_csv(path: Path, headers: list[str], rows: list[tuple]) -> list[int]:
    """Write rows under `headers`; returns the line each row starts on (values may span lines)."""
    starts, line = [], 2
    with open(path, "w", encoding="utf-8", newline="") as fh:
        csv.writer(fh, lineterminator="\n").writerow(headers)
        for row in rows:
            record = io.StringIO()
            csv.writer(record, lineterminator="\n").writerow(["" if v is None else v for v in row])
            text = record.getvalue()
            fh.write(text)
            starts.append(line)
            line += text.count("\n")
    return starts


def map_export(mapping: dict, source_dir: Path, out_dir: Path) -> tuple[list[TargetReport], duckdb.DuckDBPyConnection]:
    """Write the mapped landing files and their line lineage; returns per-target counts and the source db."""
    contract = load_contract()
    out_dir.mkdir(parents=True, exist_ok=True)
    con = duckdb.connect()
    sources = {t["from"] for t in mapping["targets"]}
    for name in sorted(sources):
        con.register(Path(name).stem + "_arrow", _source_table(source_dir / name))
        con.execute(f"create table {quote_ident(Path(name).stem)} as select * from {Path(name).stem}_arrow")
    lineage: list[tuple] = []
    reports: list[TargetReport] = []
    seen_entities: set[str] = set()
    for target in mapping["targets"]:
        entity = contract.entities[target["entity"]]
        if entity.name in seen_entities:
            raise ValueError(f"mapping writes entity {entity.name} twice")
        seen_entities.add(entity.name)
        table = quote_ident(Path(target["from"]).stem)
        exprs = [
            f"cast(({target['columns'][h]}) as varchar)" if h in target["columns"] else "cast(null as varchar)"
            for h in entity.headers
        ]
        unknown = set(target["columns"]) - set(entity.headers)
        if unknown:
            raise ValueError(f"mapping for {entity.name} names columns not in the contract: {sorted(unknown)}")
        where = f"where {target['where']}" if target.get("where") else ""
        rows = con.execute(
            f"select {', '.join(exprs)}, _source_line from {table} {where} order by _source_line"
        ).fetchall()
        total = con.execute(f"select count(*) from {table}").fetchall()[0][0]
        out_name = f"{entity.name}.csv"
        starts = _write_csv(out_dir / out_name, entity.headers, [r[:-1] for r in rows])
        lineage += [(out_name, start, target["from"], r[-1]) for start, r in zip(starts, rows, strict=True)]
        reports.append(
            TargetReport(
                entity=entity.name,
                source_file=target["from"],
                rows_read=total,
                rows_mapped=len(rows),
                rows_dropped=total - len(rows),
                dropped_reason=target.get("where_reason") if total > len(rows) else None,
            )
        )
    for entity_name, static_rows in (mapping.get("static") or {}).items():
        entity = contract.entities[entity_name]
        if entity_name in seen_entities:
            raise ValueError(f"mapping writes entity {entity_name} twice")
        _write_csv(
            out_dir / f"{entity_name}.csv",
            entity.headers,
            [tuple(r.get(h) for h in entity.headers) for r in static_rows],
        )
    _write_csv(
        out_dir.parent / f"{out_dir.name}_lineage.csv",
        ["mapped_file", "mapped_line", "source_file", "source_line"],
        lineage,
    )
    names = ["mapped_file", "mapped_line", "source_file", "source_line"]
    con.register("lineage_arrow", pa.table({n: [row[i] for row in lineage] for i, n in enumerate(names)}))
    con.execute("create table lineage as select * from lineage_arrow")
    return reports, con


def import_export(mapping_path: Path, source_dir: Path, out_dir: Path, database: Path) -> ImportReport:
    mapping = yaml.safe_load(mapping_path.read_text(encoding="utf-8"))
    reports, source_db = map_export(mapping, source_dir, out_dir)
    # The entities the mapping writes no file for are the ones this export lacks: optional for this load.
    written = {t["entity"] for t in mapping["targets"]} | set(mapping.get("static") or {})
    not_exported = {e.name for e in load_contract().entities.values() if e.name not in written}
    results = {r.source_file: r for r in load_landing(database, out_dir, optional=not_exported)}
    with duckdb.connect(str(database), read_only=True) as con:
        quarantined = con.execute(
            "select source_file, rule, count(*) from raw._quarantine group by 1, 2 order by 1, 2"
        ).fetchall()
        for report in reports:
            loaded = results[f"{report.entity}.csv"]
            report.rows_loaded = loaded.rows_loaded
            report.rows_quarantined = loaded.rows_quarantined
            report.quarantined_by_rule = {rule: n for f, rule, n in quarantined if f == f"{report.entity}.csv"}
        rows = con.execute(
            "select source_file, rule, line from raw._quarantine order by source_file, rule, line"
        ).fetchall()
        source_line = {
            (f, line): src
            for f, line, src in source_db.execute(
                "select mapped_file, mapped_line, source_line from lineage"
            ).fetchall()
        }
        for report in reports:
            for f, rule, line in rows:
                if f == f"{report.entity}.csv":
                    samples = report.sample_source_lines.setdefault(rule, [])
                    if len(samples) < 5:
                        samples.append(source_line[(f, line)])
        findings = {}
        for finding in mapping.get("findings") or []:
            if "sql" in finding:
                count = con.execute(finding["sql"]).fetchall()[0][0]
            else:
                count = source_db.execute(finding["source_sql"]).fetchall()[0][0]
            findings[finding["name"]] = {"rows": count, "description": finding["description"]}
    source_db.close()
    return ImportReport(
        mapping=mapping["name"],
        credit=mapping.get("credit"),
        targets=reports,
        findings=findings,
        assumptions=[" ".join(a.split()) for a in mapping.get("assumptions") or []],
    )


def format_report(report: ImportReport) -> str:
    lines = [f"# Import report: {report.mapping}", ""]
    if report.credit:
        lines += [f"Data: {report.credit}.", ""]
    lines += [
        "| source file | entity | read | mapped | dropped | loaded | quarantined | quarantine rules | reconciles |",
        "|---|---|---:|---:|---:|---:|---:|---|---|",
    ]
    for t in report.targets:
        rules = (
            ", ".join(
                f"{rule} {n} (source lines {', '.join(map(str, t.sample_source_lines.get(rule, [])))}…)"
                for rule, n in t.quarantined_by_rule.items()
            )
            or "-"
        )
        lines.append(
            f"| {t.source_file} | {t.entity} | {t.rows_read} | {t.rows_mapped} | {t.rows_dropped} | "
            f"{t.rows_loaded} | {t.rows_quarantined} | {rules} | {'yes' if t.reconciles else 'NO'} |"
        )
    dropped = [t for t in report.targets if t.rows_dropped]
    if dropped:
        lines += ["", "Dropped by the mapping (not instances of the entity):"]
        lines += [f"- {t.source_file} -> {t.entity}: {t.rows_dropped} rows, {t.dropped_reason}" for t in dropped]
    lines += ["", "## Findings (rows load, but the export contradicts itself)", ""]
    lines += [f"- `{name}`: {f['rows']} — {f['description']}" for name, f in report.findings.items()]
    lines += ["", "## Mapping assumptions", ""] + [f"- {a}" for a in report.assumptions]
    return "\n".join(lines) + "\n"


def import_to(mapping: Path, source: Path, out: Path) -> int:
    """`cs-warehouse import-ravenstack`: OUT/landing, OUT/warehouse.duckdb (replaced) and the report beside
    them; exit code 1 when the counts do not reconcile."""
    landing = out / "landing"
    database = out / "warehouse.duckdb"
    database.unlink(missing_ok=True)
    report = import_export(mapping, source, landing, database)
    (out / "import_report.md").write_text(format_report(report), encoding="utf-8")
    (out / "import_report.json").write_text(report.to_json() + "\n", encoding="utf-8")
    print(format_report(report))
    print(f"Warehouse: {database}\nReport:    {out / 'import_report.md'}")
    return 0 if report.reconciles else 1
