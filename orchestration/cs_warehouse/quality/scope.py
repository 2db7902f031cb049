"""Which event loads a night's checks must read: the new ones, or the whole history.

Checks that look at every event row (the raw event suite, the event-key uniqueness tests) would cost the same
on the hundredth night as a full rebuild. A check that passed once on a load does not need to read that load
again, so each such check keeps a watermark: the newest load id it has passed through (each load id sorts
after every earlier one, see `ingestion.load.next_load_id`, so a reloaded or backfilled day file is a new
load). A night then checks only the rows of later loads, against the whole table where a rule needs it (a
new key is looked up among all keys).

The whole history is checked again:
- on the first night, and whenever the watermark is missing (a new quality history folder);
- when the last full check is older than `CSW_FULL_CHECK_DAYS` days (default 7): what can change under old
  rows without a new load (a reference table reloaded, a model rebuilt with `--full-refresh`) is caught within
  that period;
- when `CSW_FULL_CHECKS=1` is set for a run.

The watermark moves only when the check passes: rows that failed stay in the next night's scope.
"""

from __future__ import annotations

import datetime as dt
import json
import os
from dataclasses import dataclass
from pathlib import Path

import duckdb

from cs_warehouse.settings import duckdb_memory_limit

DEFAULT_FULL_CHECK_DAYS = 7.0


@dataclass(frozen=True)
class Scope:
    """`after_load` None: the whole history; else only rows of loads with a later id."""

    after_load: str | None
    # Newest load in the warehouse when the scope was decided: the watermark if the check passes.
    through_load: str | None
    reason: str

    @property
    def full(self) -> bool:
        return self.after_load is None

    def describe(self) -> str:
        return "whole history" if self.full else f"loads after {self.after_load}"


def full_check_days() -> float:
    return float(os.environ.get("CSW_FULL_CHECK_DAYS", DEFAULT_FULL_CHECK_DAYS))


def full_checks_forced() -> bool:
    return os.environ.get("CSW_FULL_CHECKS", "").strip().lower() in {"1", "true", "yes"}


def latest_load(warehouse_path: Path, entity: str) -> str | None:
    """Newest load id of `entity` in the load audit (None when nothing was loaded or no audit exists)."""
    if not warehouse_path.exists():
        return None
    config = {"memory_limit": duckdb_memory_limit()}
    with duckdb.connect(str(warehouse_path), read_only=True, config=config) as con:
        try:
            row = con.execute("select max(load_id) from raw._load_audit where entity = ?", [entity]).fetchone()
        except duckdb.CatalogException:
            return None
    return row[0] if row else None


def _marker(history_dir: Path, name: str) -> Path:
    return history_dir / f"{name}.checked_through.json"


def decide(history_dir: Path, name: str, latest: str | None, now: dt.datetime) -> Scope:
    """The scope of check `name` tonight, from its watermark file in `history_dir`."""
    if latest is None:
        return Scope(None, None, "no load recorded")
    if full_checks_forced():
        return Scope(None, latest, "CSW_FULL_CHECKS is set")
    path = _marker(history_dir, name)
    if not path.exists():
        return Scope(None, latest, "first check")
    state = json.loads(path.read_text(encoding="utf-8"))
    last_full = dt.datetime.fromisoformat(state["full_check_at"])
    if now - last_full >= dt.timedelta(days=full_check_days()):
        return Scope(None, latest, f"last full check {last_full:%Y-%m-%d} is {full_check_days():g}+ days old")
    through = state["through_load"]
    if through > latest:
        # The warehouse holds no load as new as the watermark: it was rebuilt or restored from an older copy.
        return Scope(None, latest, "the warehouse is older than the watermark")
    return Scope(through, latest, f"passed through {through}")


def record_pass(history_dir: Path, name: str, scope: Scope, now: dt.datetime) -> None:
    """Move the watermark after a passing check (a full check also resets the full-check clock)."""
    if scope.through_load is None:
        return
    path = _marker(history_dir, name)
    full_check_at = now.isoformat()
    if not scope.full and path.exists():
        full_check_at = json.loads(path.read_text(encoding="utf-8"))["full_check_at"]
    history_dir.mkdir(parents=True, exist_ok=True)
    state = {"through_load": scope.through_load, "full_check_at": full_check_at, "checked_at": now.isoformat()}
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps(state, indent=2) + "\n", encoding="utf-8")
    tmp.replace(path)
