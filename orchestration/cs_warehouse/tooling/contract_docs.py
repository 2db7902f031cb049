"""Render docs/raw_contract.md from contract/raw_contract.yml (`cs-warehouse docs raw-contract`).

The Markdown is generated, never edited by hand; a test fails when it falls behind the YAML.
"""

from __future__ import annotations

from cs_warehouse.contract import Contract, Entity
from cs_warehouse.ingestion.validate import bound_text
from cs_warehouse.settings import PROJECT_DIR

DOC_PATH = PROJECT_DIR / "docs" / "raw_contract.md"

INTRO = """# Raw data contract (version {version})

Generated from `contract/raw_contract.yml` by `cs-warehouse docs raw-contract`; edit the YAML, not
this file. The ingestion (`orchestration/cs_warehouse/ingestion`) enforces every rule below.

## Files
- **Snapshot entities** (CRM, support and survey exports): one file per entity in the landing folder,
  `<entity>.csv`, `<entity>.jsonl` or `<entity>.parquet`, holding the whole object. A changed file replaces
  the raw table; an unchanged file (same SHA-256) is skipped.
- **Day-partitioned entities** (the product event log): `<entity>/dt=YYYY-MM-DD/<any name>.parquet|.jsonl|.csv`,
  one folder per day in the reporting time zone (Asia/Tokyo) on which the events were received. New files
  load incrementally; a file already loaded with the same content is skipped; a changed file replaces only
  its own rows. An event's own day comes from its `timestamp`, so a late event lands on the right day.
  A folder named `dt=` plus anything but a real date (`dt=2024-02-30`) stops the load with an error naming
  the folder (rule `partition_folder`): its files would otherwise be silently left out.
- **Missing exports**: every snapshot entity's file must be there; a missing one stops the load with an
  error naming the files looked for, so yesterday's rows are never published as tonight's. An entity marked
  *optional* below, or named in `CSW_OPTIONAL_EXPORTS` (comma-separated), may be missing: its raw table then
  keeps what it last loaded (empty when never loaded).
- **CSV**: header row with the column names below, comma-separated, RFC 4180 quoting. UTF-8 (a BOM is
  accepted) or CP932/Shift_JIS as Japanese SFA tools export; the encoding is detected per file and recorded.
- **Values**: empty = null. Booleans `true/false` (also `t/f`, `1/0`, `yes/no`). Dates `YYYY-MM-DD`.
  Timestamps ISO-8601 **with a zone** (`2025-04-01T09:00:00+09:00` or `...Z`); stored in UTC.
  Integers and decimals without thousands separators.
- **Exact types**: a value is loaded only when it fits its type without loss, never rounded or converted.
  Integers: a fraction is accepted only when it is zero (`120.0`, a Parquet float `120.0`); `10.7` breaks
  `type`. Decimals: at most two fractional digits other than trailing zeros (`6000.490` loads as
  6000.49, `6000.499` breaks `type`), from text, JSON numbers, Parquet decimals or floats. Booleans from
  Parquet or JSON numbers: only `1` and `0` (a float or any other integer breaks `type`). Dates: a
  timestamp with a zone is accepted only when it is exactly midnight in Asia/Tokyo and gives that Tokyo
  date (`2025-03-31T15:00:00Z` is 2025-04-01); a timestamp without a zone only at midnight, as written;
  any other time breaks `type`. Text columns: Parquet text or integers (binary, float, boolean and
  temporal values break `type`); json columns: text, or Parquet structs, maps and lists as JSON.
- **Raw tables**: schema `raw`, one table per entity, column = the header in snake_case
  (`ListPricePerSeatJpy__c` -> `list_price_per_seat_jpy_c`), plus `_source_file`, `_source_line`, `_load_id`.

## Rules and quarantine
A row that breaks a rule is not loaded: it goes to `raw._quarantine` with the file, line, rule, column and
its raw text. Rules: `type`, `required`, `enum`, `range` (the violation names the bound:
`range:Amount (max 10000000000)`), `timezone`, `duplicate_key` (the first row of a key is kept; for events, a
key already loaded from another file is a duplicate), `orphan_reference` (the referenced row is not in the
raw table, including when it was itself quarantined), `field_too_long` (a string or json value over
1,048,576 characters), and for rows that cannot be split into fields: `column_count`, `unterminated_quote`,
`stray_carriage_return` (a CR that is not part of a line end) and `unparseable`. A file that cannot be read
at all (encoding, missing header, two exports of one entity, a CSV parser that disagrees with the line
count) stops the load with an error naming the file and the problem.

**Rows read** are counted on the file itself: lines end at LF (CRLF counts as one line end; no other
character ends a line). A CSV row is a non-blank line after the header, together with the lines a quoted
field on it legitimately continues onto; a JSONL row is a non-blank line; a Parquet row is a row of the
file. Blank lines are not rows. A quoted field may span lines only if it closes before the end of the
file, the record it closes parses into the header's number of fields, and it swallows no line that is a
complete row on its own; otherwise its first line is quarantined alone as `unterminated_quote` and the
rows after it are read as usual. Each row has the line it starts on.

Orphans are judged again when their parents change: a snapshot child is re-validated whenever a parent's
load changes; events quarantined as orphans are re-checked then (only those rows, kept typed in
`raw._orphans_product_events`) and loaded once their parent is there, and loaded events whose parent is
gone move to the quarantine, as a snapshot child's would (their raw text is then the row as JSON).
`raw._load_audit` records, for each file of each load, rows read = rows loaded + rows quarantined; the
Dagster check `rows_reconcile` on every raw asset verifies it against the tables. Events that move between
the raw table and the quarantine on a parent change get a new audit row for their file with the new counts.

## Bounds
Every integer, decimal, date and timestamp column is bounded (inclusive). The default per type, unless the
column sets its own (shown in the rules column below):

{bounds}
"""


def _bounds_table(defaults: dict[str, dict]) -> str:
    lines = ["| type | min | max |", "|---|---|---|"]
    for type_, spec in defaults.items():
        lines.append(f"| {type_} | {_bound(spec.get('min'))} | {_bound(spec.get('max'))} |")
    return "\n".join(lines)


def _bound(value) -> str:
    return "none" if value is None else f"`{bound_text(value)}`"


def _column_rules(col) -> str:
    rules = []
    if col.required:
        rules.append("required")
    if col.enum:
        rules.append("one of " + ", ".join(f"`{v}`" for v in col.enum))
    if col.min is not None:
        rules.append(f">= {bound_text(col.min)}")
    if col.max is not None:
        rules.append(f"<= {bound_text(col.max)}")
    if col.references:
        rules.append(f"references `{col.references}`")
    if col.pii:
        rules.append("personal data")
    return "; ".join(rules)


def _entity_section(entity: Entity) -> str:
    layout = f"`{entity.name}/dt=YYYY-MM-DD/*.parquet`" if entity.partitioned_by_day else f"`{entity.name}.csv`"
    lines = [
        f"## `{entity.name}`",
        "",
        entity.description,
        "",
        f"Source: {entity.source} · file: {layout} · key: `{entity.primary_key}`"
        + (" · optional (the export may be missing)" if entity.optional else ""),
        "",
        "| column | raw column | type | rules | description |",
        "|---|---|---|---|---|",
    ]
    for col in entity.columns:
        lines.append(f"| `{col.name}` | `{col.raw_name}` | {col.type} | {_column_rules(col)} | {col.description} |")
    return "\n".join(lines) + "\n"


def render(contract: Contract) -> str:
    parts = [INTRO.format(version=contract.version, bounds=_bounds_table(contract.bounds))]
    parts += [_entity_section(e) for e in contract.load_order()]
    return "\n".join(parts)
