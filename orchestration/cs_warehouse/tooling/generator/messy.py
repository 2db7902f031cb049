"""Messy mode: a known number of broken rows per rule, so that ingestion tests can reconcile exactly.

Every broken CSV row is a copy of a clean row with a fresh id (`<id>-M<n>`) and exactly one defect, so no
other row depends on it and the count per rule is exact. Duplicated ids are taken from rows nothing else
references, so quarantining them cannot orphan other rows.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from cs_warehouse.contract import Column, Contract, Entity

from .events import DAY_US, SECOND_US, Batch
from .timeutil import DAY, format_naive_timestamp

Row = dict[str, Any]

CSV_RULES: dict[str, int] = {
    "exact_duplicate": 2,
    "duplicate_id_conflict": 1,
    "bad_type": 1,
    "missing_required": 1,
    "unknown_enum": 1,
    "naive_timestamp": 1,
    "orphan_reference": 1,
}
EVENT_RULES_PER_MESSY_DAY: dict[str, int] = {
    "duplicate_message_id": 3,
    "orphan_user": 1,
    "missing_user_id": 1,
    "late_over_7_days": 2,
}
MESSY_EVENT_DAY_EVERY = 7
# Encodings in messy mode (contacts.csv is always CP932).
MESSY_ENCODINGS = {"accounts": "utf-8-sig", "cancellation_surveys": "cp932"}

_BAD_TYPE_TEXT = {"integer": "abc", "decimal": "abc", "date": "2025-02-30", "boolean": "yes"}


def _first(entity: Entity, pred) -> Column | None:
    return next((c for c in entity.columns if c.name != entity.primary_key and pred(c)), None)


def _referenced_keys(contract: Contract, tables: dict[str, list[Row]], entity: Entity) -> set[str]:
    used: set[str] = set()
    for other in contract.entities.values():
        for col in other.columns:
            if col.reference == (entity.name, entity.primary_key):
                used.update(str(r[col.name]) for r in tables.get(other.name, []) if r.get(col.name))
    return used


class CsvMess:
    def __init__(self, contract: Contract, rng: np.random.Generator) -> None:
        self.contract = contract
        self.rng = rng

    def apply(self, tables: dict[str, list[Row]]) -> dict[str, dict[str, int]]:
        """Append broken rows to every CSV entity; returns the count per entity and rule."""
        counts: dict[str, dict[str, int]] = {}
        referenced = {n: _referenced_keys(self.contract, tables, e) for n, e in self.contract.entities.items()}
        for name, rows in tables.items():
            entity = self.contract.entities[name]
            if not rows:
                continue
            counts[name] = self._mess_entity(entity, rows, referenced[name])
        return counts

    def _pick(self, rows: list[Row], pred=lambda r: True) -> Row | None:
        candidates = [r for r in rows if pred(r)]
        return dict(candidates[int(self.rng.integers(0, len(candidates)))]) if candidates else None

    def _mess_entity(self, entity: Entity, rows: list[Row], referenced: set[str]) -> dict[str, int]:
        pk = entity.primary_key
        clean = list(rows)
        added: list[Row] = []
        counts = dict.fromkeys(CSV_RULES, 0)
        serial = 0

        def broken(rule: str, col: Column | None, value_of) -> None:
            nonlocal serial
            if col is None:
                return
            row = self._pick(clean, lambda r: r.get(col.name) not in (None, ""))
            if row is None:
                return
            serial += 1
            row[pk] = f"{row[pk]}-M{serial}"
            row[col.name] = value_of(row[col.name], col)
            added.append(row)
            counts[rule] += 1

        for rule, n in CSV_RULES.items():
            for _ in range(n):
                if rule == "exact_duplicate":
                    added.append(self._pick(clean) or {})
                    counts[rule] += 1
                elif rule == "duplicate_id_conflict":
                    row = self._conflicting_duplicate(entity, clean, referenced)
                    if row is not None:
                        added.append(row)
                        counts[rule] += 1
                elif rule == "bad_type":
                    broken(
                        rule, _first(entity, lambda c: c.type in _BAD_TYPE_TEXT), lambda v, c: _BAD_TYPE_TEXT[c.type]
                    )
                elif rule == "missing_required":
                    broken(rule, _first(entity, lambda c: c.required), lambda v, c: "")
                elif rule == "unknown_enum":
                    broken(
                        rule,
                        _first(entity, lambda c: c.enum is not None),
                        lambda v, c: str(v).replace("_", " ").title(),
                    )
                elif rule == "naive_timestamp":
                    broken(
                        rule, _first(entity, lambda c: c.type == "timestamp"), lambda v, c: format_naive_timestamp(v)
                    )
                elif rule == "orphan_reference":
                    col = _first(entity, lambda c: c.references is not None and c.required)
                    broken(
                        rule,
                        col or _first(entity, lambda c: c.references is not None),
                        lambda v, c: f"{str(v)[:-4]}XXXX",
                    )
        rows.extend(added)
        return {k: v for k, v in counts.items() if v}

    def _conflicting_duplicate(self, entity: Entity, clean: list[Row], referenced: set[str]) -> Row | None:
        """An existing, unreferenced id again with one plain column changed (a re-export after an edit)."""
        col = _first(
            entity, lambda c: c.references is None and c.enum is None and c.type in ("string", "integer", "date")
        )
        if col is None:
            return None
        row = self._pick(
            clean, lambda r: str(r[entity.primary_key]) not in referenced and r.get(col.name) not in (None, "")
        )
        if row is not None:
            row[col.name] = _changed(row[col.name])
        return row


def _changed(value: Any) -> Any:
    if isinstance(value, str):
        return f"{value}（重複）"
    if isinstance(value, int):
        return value + 1
    return value + DAY


class EventMess:
    """Per-day hook for the event stream; counts only rows that end up written."""

    def __init__(self, n_users: int, export_end_us: int) -> None:
        self.n_users = n_users
        self.limit_us = export_end_us
        self.counts = dict.fromkeys(EVENT_RULES_PER_MESSY_DAY, 0)

    def __call__(self, day: int, b: Batch, rng: np.random.Generator) -> Batch:
        if day % MESSY_EVENT_DAY_EVERY != 3:
            return b
        need = sum(EVENT_RULES_PER_MESSY_DAY.values())
        # Only events from real users that arrive by the export day, so every defect is written once.
        candidates = np.flatnonzero((b.recv < self.limit_us - 31 * DAY_US) & (b.user >= 0) & (b.user < self.n_users))
        if len(candidates) < need:
            return b
        chosen = rng.choice(candidates, need, replace=False)
        k = 0

        def take(rule: str) -> np.ndarray:
            nonlocal k
            n = EVENT_RULES_PER_MESSY_DAY[rule]
            self.counts[rule] += n
            k += n
            return chosen[k - n : k]

        dup = b.take(take("duplicate_message_id"))
        # A client retry: same messageId and content, received again up to two days later.
        dup.recv = dup.recv + (rng.uniform(600, 2 * 86_400, len(dup)) * SECOND_US).astype(np.int64)
        b.user[take("orphan_user")] = self.n_users
        b.user[take("missing_user_id")] = -1
        late = take("late_over_7_days")
        b.recv[late] = b.ts[late] + (rng.uniform(7, 30, len(late)) * DAY_US).astype(np.int64)
        return Batch.concat([b, dup])
