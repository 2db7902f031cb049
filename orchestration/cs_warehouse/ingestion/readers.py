"""Read one landing file into an all-text Arrow table that keeps each row's line number and raw text.

Every reader returns the same shape, so validation is one SQL pass whatever the format:
`_line` (1-based line in the file, or row number for Parquet), `_raw` (the row as it appeared), and one
column per contract header, named by its raw column name. Text formats give strings; Parquet keeps its
own types and is handled in SQL (see load.py) so large event files never pass through Python rows.

Rows read are physical rows, found on the file's lines before any parser runs. Lines end at LF (a CRLF
is one line end; no other character, CR or Unicode separator, ends a line). A CSV row is a non-blank line
after the header plus the lines that a quoted field opened on it legitimately continues onto (see
`_split_records` for when a multi-line field is accepted, and `unterminated_quote` when not); a JSONL row
is a non-blank line. Blank lines are not rows. Each physical row ends either in the table the reader
returns or in its `rejected` list, so rows read = rows loaded + rows quarantined whatever the parser does;
a CSV whose lines the csv module reads differently from the line scanner stops with an error.
"""

from __future__ import annotations

import csv
import json
from dataclasses import dataclass, field
from pathlib import Path

import pyarrow as pa

from cs_warehouse.contract import Entity

UTF8_BOM = b"\xef\xbb\xbf"
# The csv module's own field size limit (128 KiB by default) must not decide what is data.
csv.field_size_limit(2**31 - 1)


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


def _physical_lines(text: str) -> list[str]:
    """The file's lines: split on LF only, so a CRLF line keeps its CR (removed when the line ends a
    record, kept when it is inside a quoted field) and no other character ends a line."""
    lines = text.split("\n")
    if lines[-1] == "":
        lines.pop()  # the terminator of the last line, not an empty line after it
    return lines


def _ends_in_open_quote(line: str, in_quotes: bool) -> bool:
    """Whether a quoted field is still open at the end of `line`, scanning as the csv module does: a quote
    opens a field only at the field's start, `""` inside a quoted field is a literal quote."""
    i = 0
    while True:
        j = line.find('"', i)
        if j < 0:
            return in_quotes
        if in_quotes:
            if line.startswith('"', j + 1):
                i = j + 2
                continue
            in_quotes = False
        elif j == 0 or line[j - 1] == ",":
            in_quotes = True
        i = j + 1


def _strip_cr(line: str) -> str:
    return line[:-1] if line.endswith("\r") else line


@dataclass
class _Record:
    line: int  # first physical line (1-based, the header is line 1)
    n_lines: int
    text: str  # the record as written, without its line terminator


class _Parsed:
    """One CSV record split into fields by the csv module, or the reason it could not be."""

    def __init__(self, fields: list[str] | None, error: str | None):
        self.fields = fields
        self.error = error


def _parse_one(text: str) -> _Parsed:
    try:
        return _Parsed(next(csv.reader((text,), strict=True), []), None)
    except csv.Error as exc:
        return _Parsed(None, str(exc))


def _split_records(lines: list[str], width: int) -> tuple[list[_Record], list[int], list[RejectedRow]]:
    """Group the data lines (after the header) into records: (records, blank line numbers, broken lines).

    A record is one line, or several when a quoted field runs over line ends. A multi-line record is
    accepted only if its quote closes before the end of the file, none of the lines it would swallow before
    the closing line is on its own a complete record of `width` fields, and the whole parses into exactly
    `width` fields; otherwise its first line is rejected alone as `unterminated_quote` and reading resumes
    on the next line, so the rows after a broken quote are read as rows.
    """
    records: list[_Record] = []
    blanks: list[int] = []
    broken: list[RejectedRow] = []
    i, n = 1, len(lines)  # lines[0] is the header
    while i < n:
        line = lines[i]
        if not line.strip():
            blanks.append(i + 1)
            i += 1
            continue
        if not _ends_in_open_quote(line, False):
            records.append(_Record(i + 1, 1, _strip_cr(line)))
            i += 1
            continue
        end = _closing_line(lines, i, width)
        joined = None if end is None else _strip_cr("\n".join(lines[i : end + 1]))
        parsed = None if joined is None else _parse_one(joined)
        if parsed is None or parsed.fields is None or len(parsed.fields) != width:
            broken.append(
                RejectedRow(
                    i + 1,
                    "unterminated_quote",
                    "a quoted field opened on this line is never closed, or closing it would swallow the "
                    "following rows or give a record with the wrong number of fields",
                    _strip_cr(line),
                )
            )
            i += 1
            continue
        records.append(_Record(i + 1, end - i + 1, joined))
        i = end + 1
    return records, blanks, broken


def _closing_line(lines: list[str], start: int, width: int) -> int | None:
    """Index of the line that closes the quoted field opened on lines[start], or None when the quote is
    never closed or a line before the closing one is itself a complete record of `width` fields."""
    for j in range(start + 1, len(lines)):
        if not _ends_in_open_quote(lines[j], True):
            return j
        alone = _strip_cr(lines[j])
        if not _ends_in_open_quote(alone, False):
            parsed = _parse_one(alone)
            if parsed.fields is not None and len(parsed.fields) == width:
                return None
    return None


def _csv_problem(error: str) -> str:
    if "new-line character" in error:
        return "stray_carriage_return"
    return "unparseable"


def read_csv(path: Path, entity: Entity) -> TextBatch:
    """Read a CSV export. Every non-blank data line ends in exactly one row read, loaded or quarantined.

    Rows are found on physical lines (LF or CRLF ends) before the csv module splits any field, so no
    parser state can carry one row into the next: see `_split_records`. A row that cannot be split
    (`unparseable`, `stray_carriage_return` for a CR that is not part of a line end), has the wrong number of
    fields (`column_count`) or holds a quote that is never properly closed (`unterminated_quote`) is
    rejected; the lines around it are read as usual. The csv module's field size limit is lifted: the
    contract's own limit (`field_too_long`, see validate.py) decides which values are too long.
    """
    text, encoding = decode_landing_text(path)
    if not text.strip():
        raise UnreadableFileError(path, "empty file (no header row)")
    if "\n" not in text and "\r" in text.strip():
        raise UnreadableFileError(path, "lines end in a bare CR; line ends must be LF or CRLF")
    lines = _physical_lines(text)
    header_line = _strip_cr(lines[0])
    parsed_header = _parse_one(header_line)
    if parsed_header.fields is None or _ends_in_open_quote(header_line, False):
        raise UnreadableFileError(path, f"header row is not valid CSV: {parsed_header.error or 'unclosed quote'}")
    header = [h.strip() for h in parsed_header.fields]
    missing = [h for h in entity.headers if h not in header]
    if missing:
        raise UnreadableFileError(path, f"missing required header(s) {missing} for entity {entity.name}")
    positions = [header.index(h) for h in entity.headers]
    records, blanks, rejected = _split_records(lines, len(header))
    # Every physical line is the header, a blank line, a rejected line or part of exactly one record.
    accounted = 1 + len(blanks) + len(rejected) + sum(r.n_lines for r in records)
    if accounted != len(lines):
        raise UnreadableFileError(path, f"line count mismatch: {len(lines)} lines, {accounted} accounted for")
    rows: list[tuple[int, str, list[str | None]]] = []
    reader = csv.reader((r.text for r in records), strict=True)
    for consumed, record in enumerate(records, start=1):
        try:
            fields = next(reader)
        except csv.Error as exc:
            rejected.append(RejectedRow(record.line, _csv_problem(str(exc)), f"invalid CSV: {exc}", record.text))
            fields = None
        if reader.line_num != consumed:
            # The csv module read past the record the line scanner delimited: never guess which row is which.
            raise UnreadableFileError(
                path, f"line count mismatch: the CSV parser and the line scanner disagree at line {record.line}"
            )
        if fields is None:
            continue
        if len(fields) != len(header):
            detail = f"{len(fields)} fields, header has {len(header)}"
            rejected.append(RejectedRow(record.line, "column_count", detail, record.text))
            continue
        rows.append((record.line, record.text, [_blank_to_none(fields[p]) for p in positions]))
    rejected.sort(key=lambda r: r.line)
    extra = [h for h in header if h not in entity.headers]
    return TextBatch(_columns_table(entity, rows), encoding, rejected, extra)


class _JsonNumber(float):
    """A JSON number with a fraction or exponent that keeps its text as written, so `6000.499` reaches the
    type check as `6000.499`, never as a rounded float's repr."""

    text: str

    def __new__(cls, text: str) -> _JsonNumber:
        number = super().__new__(cls, text)
        number.text = text
        return number


def _json_text(value: object) -> str | None:
    if value is None:
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, _JsonNumber):
        return value.text
    if isinstance(value, dict | list):
        return json.dumps(value, ensure_ascii=False, sort_keys=True)
    return _blank_to_none(str(value))


def read_jsonl(path: Path, entity: Entity) -> TextBatch:
    """Read a JSON Lines export: one object per line, lines split on LF only (a U+2028 or other Unicode line
    separator inside a string is text, not a line end). Each non-blank line is one row read. Values reach
    validation as text: numbers as written, booleans as `true`/`false`, objects and arrays as JSON."""
    text, encoding = decode_landing_text(path)
    rows: list[tuple[int, str, list[str | None]]] = []
    rejected: list[RejectedRow] = []
    for line_no, line in enumerate(_physical_lines(text), start=1):
        line = _strip_cr(line)
        if not line.strip():
            continue
        try:
            record = json.loads(line, parse_float=_JsonNumber)
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
