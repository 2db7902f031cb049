"""CSV landing files: typed values -> the text a CRM, Zendesk or survey export would contain."""

from __future__ import annotations

import csv
from datetime import date, datetime
from pathlib import Path
from typing import Any

from cs_warehouse.contract import Entity

from .timeutil import format_crm_timestamp, format_utc_timestamp

# Japanese SFA tools export Shift_JIS (CP932) with CRLF line ends; the other exports are UTF-8 with LF.
LINE_END = {"cp932": "\r\n", "utf-8": "\n", "utf-8-sig": "\n"}


def format_value(value: Any, col_type: str, source: str) -> str:
    """Already-formatted strings pass through untouched (messy rows carry deliberately broken text)."""
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    if col_type == "boolean":
        return "true" if value else "false"
    if col_type == "timestamp" and isinstance(value, datetime):
        return format_crm_timestamp(value) if source == "crm" else format_utc_timestamp(value)
    if col_type == "date" and isinstance(value, date):
        return value.isoformat()
    if col_type == "decimal":
        return str(int(value)) if float(value).is_integer() else f"{value:.2f}"
    return str(value)


def write_entity_csv(path: Path, entity: Entity, rows: list[dict[str, Any]], encoding: str) -> int:
    """Header = the contract's headers in contract order; returns the number of data rows written."""
    headers = entity.headers
    types = [c.type for c in entity.columns]
    with open(path, "w", encoding=encoding, newline="") as fh:
        writer = csv.writer(fh, lineterminator=LINE_END[encoding])
        writer.writerow(headers)
        for row in rows:
            unknown = set(row) - set(headers)
            if unknown:
                raise KeyError(f"{entity.name}: columns not in the contract: {sorted(unknown)}")
            writer.writerow([format_value(row.get(h), t, entity.source) for h, t in zip(headers, types, strict=True)])
    return len(rows)
