"""An independent, deliberately simple reading of the contract rules, used to check generated files."""

from __future__ import annotations

import re
from collections import Counter
from datetime import date
from decimal import Decimal, InvalidOperation

TS_WITH_ZONE = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$")
TS_NAIVE = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?$")
TS_STYLE = {
    "crm": re.compile(r"\+09:00$"),
    "support": re.compile(r"Z$"),
    "survey": re.compile(r"Z$"),
    "product": re.compile(r"Z$"),
}


def _type_ok(value: str, col_type: str) -> bool:
    try:
        if col_type == "integer":
            int(value)
        elif col_type == "decimal":
            Decimal(value)
        elif col_type == "date":
            date.fromisoformat(value)
        elif col_type == "boolean":
            return value in ("true", "false")
    except (ValueError, InvalidOperation):
        return False
    return True


def violations(entity: dict, rows: list[dict[str, str]], keys: dict[str, set[str]]) -> Counter:
    """Count of rule breaks; `keys` holds the primary keys of every entity (for references)."""
    found: Counter = Counter()
    pk = entity["primary_key"]
    seen: dict[str, tuple] = {}
    for row in rows:
        content = tuple(row.values())
        if row[pk] in seen:
            found["exact_duplicate" if seen[row[pk]] == content else "duplicate_id_conflict"] += 1
            continue
        seen[row[pk]] = content
        for col in entity["columns"]:
            value = row[col["name"]].strip()
            if value == "":
                if col.get("required"):
                    found["missing_required"] += 1
                continue
            if col["type"] == "timestamp":
                if TS_NAIVE.match(value):
                    found["naive_timestamp"] += 1
                elif not TS_WITH_ZONE.match(value):
                    found["bad_type"] += 1
                elif not TS_STYLE[entity["source"]].search(value):
                    found["timestamp_style"] += 1
                continue
            if not _type_ok(value, col["type"]):
                found["bad_type"] += 1
                continue
            if "enum" in col and value not in col["enum"]:
                found["unknown_enum"] += 1
            numeric = col["type"] in ("integer", "decimal")
            if numeric and (
                ("min" in col and Decimal(value) < col["min"]) or ("max" in col and Decimal(value) > col["max"])
            ):
                found["out_of_range"] += 1
            if "references" in col:
                ref_entity = col["references"].split(".")[0]
                if value not in keys[ref_entity]:
                    found["orphan_reference"] += 1
    return found
