"""Read-only connections to the serving copy that always see the latest publication.

Each publish renames a new file over the serving copy (publish.py). `duckdb.connect(path)` keeps one database
instance per path and process and hands it to every later connect of that path while a connection to it is
open, so in a process that still holds a connection to yesterday's copy, a "new" connection reads yesterday's
file too. `connect` opens a fresh in-memory database each time and attaches the file read-only as its default
catalog: it reads the file the path names now, and queries are written as against the file itself
(`marts.mart_kpi_monthly`, `main._publication`). An open connection keeps the copy it attached.
"""

from __future__ import annotations

from pathlib import Path

import duckdb

from cs_warehouse.sqltext import sql_literal

CATALOG = "serving"


def connect(path: str | Path | None = None) -> duckdb.DuckDBPyConnection:
    """A new read-only connection to the serving copy at `path` (default: CSW_SERVING_PATH's)."""
    if path is None:
        from cs_warehouse.settings import Settings

        path = Settings.from_env().serving_path
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"no serving copy at {path}: the nightly build has not published yet")
    con = duckdb.connect(":memory:")
    try:
        con.execute(f"attach {sql_literal(str(path))} as {CATALOG} (read_only)")
        con.execute(f"use {CATALOG}")
    except BaseException:
        con.close()
        raise
    return con
