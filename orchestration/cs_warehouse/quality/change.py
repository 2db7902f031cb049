"""Which quality suites have something new to validate tonight.

A suite is validated again only when something it reads changed since it last passed:
- a raw table it reads (its own, or one its references look up) has a newer load (`raw._load_audit`);
- a dbt model it reads was rebuilt: between the build the suite last passed on and the last successful build,
  both recorded by cs_warehouse/build_state.py, the models that build's plan leaves out are unchanged;
- the suite itself changed (its relations, expectations or bounds).

Every suite is validated on its first night, when `CSW_FULL_CHECKS` is set, and when its last full
validation is `CSW_FULL_CHECK_DAYS` days old (the weekly full check of quality/scope.py). Where the
warehouse's loads or builds cannot be read (a target other than DuckDB's file, no build recorded), the suite
is validated.

A suite with nothing new is skipped without importing Great Expectations: its checks report the outcome it
passed with, marked `skipped: nothing new since load N`. Its freshness rules depend on the clock, not on
change, so they are evaluated anyway (one DuckDB aggregate each). The record moves only when the suite's
critical expectations pass: a failing suite is validated again every night until it passes.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import duckdb

from cs_warehouse import build_state
from cs_warehouse.quality import scope
from cs_warehouse.quality.spec import Suite
from cs_warehouse.settings import duckdb_memory_limit

RAW_SCHEMA = "raw"
MODEL_SCHEMAS = ("staging", "intermediate", "marts", "reference")
RELATION = re.compile(r"(?<![\w.])(" + "|".join((RAW_SCHEMA, *MODEL_SCHEMAS)) + r")\.([A-Za-z_]\w*)")


def relations(suite: Suite) -> tuple[set[str], set[str]]:
    """The raw tables and the dbt models the suite's SQL reads."""
    raw, models = set(), set()
    for part in suite.parts:
        for sql in (part.sql, part.new_rows_sql or ""):
            for schema, name in RELATION.findall(sql):
                (raw if schema == RAW_SCHEMA else models).add(name)
    return raw, models


def signature(suite: Suite) -> str:
    """Changes when the suite's relations, expectations or bounds change."""
    return hashlib.sha256(repr(suite.parts).encode()).hexdigest()[:16]


@dataclass
class Tonight:
    """What the warehouse holds tonight, read once per step: the newest load per raw table and the record of
    the last successful dbt build. `manifest` is read only when a model-reading suite needs it."""

    loads: dict[str, str] | None
    build: dict[str, Any] | None
    manifest_reader: Callable[[], Mapping[str, Any]] | None = None
    _rebuilt: dict[str, set[str] | None] = field(default_factory=dict)

    @classmethod
    def read(cls, warehouse_path: Path, history_dir: Path, manifest_reader=None, *, duckdb_file: bool = True):
        if not duckdb_file:
            return cls(None, None, manifest_reader)
        return cls(build_state.latest_loads(warehouse_path), build_state.read(history_dir), manifest_reader)

    def rebuilt_since(self, validated_build: Mapping[str, Any] | None) -> set[str] | None:
        """Names of the models rebuilt since the build `validated_build` recorded; None: any may have been."""
        if validated_build is None or self.build is None or self.manifest_reader is None:
            return None
        key = json.dumps(validated_build, sort_keys=True)
        if key not in self._rebuilt:
            manifest = self.manifest_reader()
            plan = build_state.plan(validated_build, self.build, manifest or {})
            if manifest is None or plan.select is None:
                self._rebuilt[key] = None
            elif not plan.select:
                self._rebuilt[key] = set()
            else:
                left_out = set(plan.left_out(manifest))
                self._rebuilt[key] = {
                    node["name"]
                    for uid, node in manifest.get("nodes", {}).items()
                    if node.get("resource_type") == "model" and uid not in left_out
                }
        return self._rebuilt[key]


@dataclass(frozen=True)
class Decision:
    validate: bool
    reason: str
    # recorded when the validation passes
    state: dict[str, Any]
    previous: dict[str, Any] | None = None


def _record_path(history_dir: Path, suite: Suite) -> Path:
    return history_dir / f"gx.{suite.name}.validated.json"


def read_record(history_dir: Path, suite: Suite) -> dict[str, Any] | None:
    path = _record_path(history_dir, suite)
    return json.loads(path.read_text(encoding="utf-8")) if path.exists() else None


def decide(history_dir: Path, suite: Suite, tonight: Tonight, now: dt.datetime) -> Decision:
    raw, models = relations(suite)
    loads = None if tonight.loads is None else {table: tonight.loads.get(table) for table in sorted(raw)}
    state = {"signature": signature(suite), "loads": loads, "build": tonight.build if models else None}
    previous = read_record(history_dir, suite)

    def due(reason: str) -> Decision:
        return Decision(True, reason, state, previous)

    if previous is None:
        return due("first validation")
    if scope.full_checks_forced():
        return due("CSW_FULL_CHECKS is set")
    last_full = dt.datetime.fromisoformat(previous["full_check_at"])
    if now - last_full >= dt.timedelta(days=scope.full_check_days()):
        return due(f"last full validation {last_full:%Y-%m-%d} is {scope.full_check_days():g}+ days old")
    if previous.get("signature") != state["signature"]:
        return due("the suite changed")
    if raw:
        if loads is None:
            return due("the loads of this warehouse are not read here")
        changed = sorted(t for t in raw if loads[t] != (previous.get("loads") or {}).get(t))
        if changed:
            return due(f"new loads of raw.{', raw.'.join(changed)}")
    if models:
        rebuilt = tonight.rebuilt_since(previous.get("build"))
        if rebuilt is None:
            return due("no comparable dbt build recorded")
        if rebuilt & models:
            return due(f"dbt rebuilt {', '.join(sorted(rebuilt & models))}")
    seen = [*(loads or {}).values(), *((state["build"] or {}).get("loads") or {}).values()]
    newest = max((load for load in seen if load), default=None)
    what = f"nothing new since load {newest}" if newest else "nothing new since its last validation"
    return Decision(False, what + ("" if not models else " (dbt did not rebuild what it reads)"), state, previous)


def record_pass(history_dir: Path, suite: Suite, decision: Decision, now: dt.datetime, *, full: bool,
                warnings: list[dict[str, Any]]) -> None:  # fmt: skip
    """The suite passed its critical expectations on `decision.state`; `warnings`: the failing warning
    expectations (as check metadata) other than freshness, reported again on the nights it is skipped."""
    previous = decision.previous or {}
    full_check_at = now.isoformat() if full or "full_check_at" not in previous else previous["full_check_at"]
    record = {**decision.state, "validated_at": now.isoformat(), "full_check_at": full_check_at,
              "warnings": warnings}  # fmt: skip
    history_dir.mkdir(parents=True, exist_ok=True)
    path = _record_path(history_dir, suite)
    temporary = path.with_suffix(".tmp")
    temporary.write_text(json.dumps(record, indent=2, sort_keys=True, default=str) + "\n", encoding="utf-8")
    temporary.replace(path)


def freshness_failures(suite: Suite, warehouse_path: Path, now: dt.datetime) -> list[dict[str, Any]]:
    """The suite's freshness rules, evaluated in DuckDB as the runner's `<part>_freshness` parts state them
    (the age in days of the latest value, at most `max_age_days`): failing ones in check-metadata form."""
    fresh_parts = [p for p in suite.parts if p.freshness is not None]
    if not fresh_parts:
        return []
    reference = now.astimezone(dt.UTC).strftime("%Y-%m-%d %H:%M:%S+00")
    failures = []
    with duckdb.connect(str(warehouse_path), read_only=True, config={"memory_limit": duckdb_memory_limit()}) as con:
        for part in fresh_parts:
            fresh = part.freshness
            assert fresh is not None
            [(latest, age)] = con.execute(
                f"select max({fresh.column}), (epoch(timestamptz '{reference}') - "
                f"epoch(max({fresh.column})::timestamptz)) / 86400.0 from ({part.sql})"
            ).fetchall()
            if age is None or age > fresh.max_age_days:
                failures.append(
                    {
                        "suite": suite.name,
                        "part": f"{part.name}_freshness",
                        "expectation": "expect_column_values_to_be_between",
                        "column": "age_days",
                        "severity": fresh.severity.value,
                        "success": False,
                        "observed_value": None if age is None else round(float(age), 3),
                        "sample": [{f"latest_{fresh.column}": str(latest)}],
                    }
                )
    return failures
