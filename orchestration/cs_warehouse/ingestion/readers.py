"""Read one landing file into an all-text Arrow table that keeps each row's line number and raw text.

Every reader returns the same shape, so validation is one SQL pass whatever the format:
`_line` (1-based line in the file, or row number for Parquet), `_raw` (the row as it appeared), and one
column per contract header, named by its raw column name. Text formats give strings; Parquet keeps its
own types and is handled in SQL (see load.py) so large event files never pass through Python rows.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pyarrow as pa

from cs_warehouse.contract import Entity

UTF8_BOM = b"\xef\xbb\xbf"


class UnreadableFileError(Exception):
    """A landing file that cannot be read at all (encoding, header, format). Names the file and problem."""

    def __init__(self, path: Path | str, problem: str):
        super().__init__(f"{path}: {problem}")
        self.path = str(path)
        self.problem = problem


@dataclass
class RejectedRow:
    """A row that could not even be split into columns (wrong field count, broken JSON)."""

    line: int
    rule: str
    detail: str
    raw: str


@dataclass
class TextBatch:
    table: pa.Table
    encoding: str
    rejected: list[RejectedRow] = field(default_factory=list)
    extra_headers: list[str] = field(default_factory=list)

    @property
    def rows_read(self) -> int:
        return self.table.num_rows + len(self.rejected)


def decode_landing_text(path: Path) -> tuple[str, str]:
    """Decode a text export: UTF-8 (with or without BOM) first, then CP932 as Japanese SFA tools write."""
    data = path.read_bytes()
    if data.startswith(UTF8_BOM):
        return data[len(UTF8_BOM) :].decode("utf-8"), "utf-8-sig"
    try:
        return data.decode("utf-8"), "utf-8"
    except UnicodeDecodeError as utf8_error:
        try:
            return data.decode("cp932"), "cp932"
        except UnicodeDecodeError:
            raise UnreadableFileError(
                path, f"neither UTF-8 nor CP932 (first bad byte at offset {utf8_error.start})"
            ) from None


class _RecordingLines:
    """Line iterator for csv.reader that remembers the physical lines of the record being parsed."""

    def __init__(self, text: str):
        self._lines = iter(io.StringIO(text, newline=""))
        self.consumed: list[str] = []
        self.line_no = 0

    def __iter__(self) -> Iterator[str]:
        return self

    def __next__(self) -> str:
        line = next(self._lines)
        self.consumed.append(line)
        self.line_no += 1
        return line

    def take(self) -> tuple[int, str]:
        first_line = self.line_no - len(self.consumed) + 1
        raw = "".join(self.consumed).rstrip("\r\n")
        self.consumed = []
        return first_line, raw


def _columns_table(entity: Entity, rows: list[tuple[int, str, list[str | None]]]) -> pa.Table:
    arrays: dict[str, pa.Array] = {
        "_line": pa.array([r[0] for r in rows], pa.int64()),
        "_raw": pa.array([r[1] for r in rows], pa.string()),
    }
    for i, col in enumerate(entity.columns):
        arrays[col.raw_name] = pa.array([r[2][i] for r in rows], pa.string())
    return pa.table(arrays)


def _blank_to_none(value: str | None) -> str | None:
    if value is None:
        return None
    value = value.strip()
    return value or None


def read_csv(path: Path, entity: Entity) -> TextBatch:
    text, encoding = decode_landing_text(path)
    lines = _RecordingLines(text)
    reader = csv.reader(lines, strict=True)
    try:
        header = [h.strip() for h in next(reader)]
    except StopIteration:
        raise UnreadableFileError(path, "empty file (no header row)") from None
    except csv.Error as exc:
        raise UnreadableFileError(path, f"header row is not valid CSV: {exc}") from None
    lines.take()
    missing = [h for h in entity.headers if h not in header]
    if missing:
        raise UnreadableFileError(path, f"missing required header(s) {missing} for entity {entity.name}")
    positions = [header.index(h) for h in entity.headers]
    rows: list[tuple[int, str, list[str | None]]] = []
    rejected: list[RejectedRow] = []
    while True:
        try:
            record = next(reader)
        except StopIteration:
            break
        except csv.Error as exc:
            line, raw = lines.take()
            rejected.append(RejectedRow(line, "unparseable", f"invalid CSV: {exc}", raw))
            continue
        line, raw = lines.take()
        if not record or (len(record) == 1 and not record[0].strip()):
            continue  # blank line: not a row
        if len(record) != len(header):
            detail = f"{len(record)} fields, header has {len(header)}"
            rejected.append(RejectedRow(line, "column_count", detail, raw))
            continue
        rows.append((line, raw, [_blank_to_none(record[p]) for p in positions]))
    extra = [h for h in header if h not in entity.headers]
    return TextBatch(_columns_table(entity, rows), encoding, rejected, extra)


def _json_text(value: object) -> str | None:
    if value is None:
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, dict | list):
        return json.dumps(value, ensure_ascii=False, sort_keys=True)
    return _blank_to_none(str(value))


def read_jsonl(path: Path, entity: Entity) -> TextBatch:
    text, encoding = decode_landing_text(path)
    rows: list[tuple[int, str, list[str | None]]] = []
    rejected: list[RejectedRow] = []
    for line_no, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            record = json.loads(line)
        except json.JSONDecodeError as exc:
            rejected.append(RejectedRow(line_no, "unparseable", f"invalid JSON: {exc.msg}", line))
            continue
        if not isinstance(record, dict):
            rejected.append(RejectedRow(line_no, "unparseable", "not a JSON object", line))
            continue
        rows.append((line_no, line, [_json_text(record.get(h)) for h in entity.headers]))
    return TextBatch(_columns_table(entity, rows), encoding, rejected)


def read_text_file(path: Path, entity: Entity) -> TextBatch:
    suffix = path.suffix.lower()
    if suffix == ".csv":
        return read_csv(path, entity)
    if suffix in (".jsonl", ".ndjson"):
        return read_jsonl(path, entity)
    raise UnreadableFileError(path, f"unsupported text format {suffix!r} (csv, jsonl)")
