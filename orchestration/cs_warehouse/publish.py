"""The publish gate: a read-only serving copy of the marts for BI, replaced atomically.

The nightly build writes the warehouse file; BI tools never open it. After every critical check passed,
the marts are copied into a new DuckDB file beside the serving copy, checkpointed, and renamed over it.
A rename is atomic: a reader that already has the old file open keeps reading the old marts (its open
file stays intact), a reader that opens afterwards gets the new ones, and no reader ever sees a half-written
table or holds a lock the build needs. A night that fails before the publish leaves yesterday's copy as is.

Status files beside the copy (`publish_status.json`, `last_failure.json`) are written whole: a temp file in
the same folder, fsync, rename. Temp files are named `.<name>.<pid>.<random>.tmp` (DuckDB adds `.wal`), so
one left by a killed process is recognised and removed by the next publish or CLI start.
"""

from __future__ import annotations

import datetime as dt
import errno
import json
import os
import re
import uuid
from dataclasses import dataclass
from pathlib import Path

import duckdb

from cs_warehouse.sqltext import quote_ident, sql_literal

PUBLISHED_SCHEMAS = ("marts",)
FAILURE_FILE = "last_failure.json"
# Space kept for last_failure.json, so a night that fails because the disk is full can still say so.
FAILURE_RESERVE_BYTES = 64 * 1024
_TEMP_NAME = re.compile(r"^\.(?P<target>.+?)\.(?P<pid>\d+\.)?[0-9a-f]{32}\.tmp(\.wal)?$")


def temp_path(path: Path) -> Path:
    return path.with_name(f".{path.name}.{os.getpid()}.{uuid.uuid4().hex}.tmp")


# The dbt artifacts a published night was built with ("production state" for a pull request's
# `dbt build --select state:modified+ --defer --state`): kept beside the serving copy, replaced with it.
DBT_ARTIFACTS = ("manifest.json", "semantic_manifest.json", "run_results.json")
BUILT_STATE_DIR = "dbt_state_built"
PUBLISHED_STATE_DIR = "dbt_state"


def copy_file_atomic(source: Path, target: Path) -> None:
    """Replace `target` with a copy of `source` in one rename."""
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = temp_path(target)
    try:
        _write_new_file(tmp, source.read_bytes())
        os.replace(tmp, target)
    finally:
        tmp.unlink(missing_ok=True)


def keep_built_dbt_state(target_path: Path, warehouse_path: Path) -> list[str]:
    """After a successful dbt build: its artifacts wait beside the warehouse until the night publishes."""
    kept = []
    for name in DBT_ARTIFACTS:
        if (target_path / name).is_file():
            copy_file_atomic(target_path / name, warehouse_path.parent / BUILT_STATE_DIR / name)
            kept.append(name)
    return kept


def publish_dbt_state(warehouse_path: Path, serving_path: Path) -> Path | None:
    """Called once the serving copy is replaced: the artifacts of the build it holds become the production
    state. A night whose dbt step had nothing to build keeps the state of the build its marts came from."""
    built, published = warehouse_path.parent / BUILT_STATE_DIR, serving_path.parent / PUBLISHED_STATE_DIR
    if not (built / "manifest.json").is_file():
        return None
    for name in DBT_ARTIFACTS:
        if (built / name).is_file():
            copy_file_atomic(built / name, published / name)
    return published


def _fsync_dir(folder: Path) -> None:
    fd = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _write_new_file(path: Path, data: bytes) -> None:
    with open(path, "xb") as fh:
        fh.write(data)
        fh.flush()
        os.fsync(fh.fileno())


def write_json_atomic(path: Path, body: dict) -> Path:
    """Replace `path` with `body` as JSON in one rename: a reader sees the old file or the new one, whole."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = temp_path(path)
    try:
        _write_new_file(tmp, (json.dumps(body, ensure_ascii=False, indent=2) + "\n").encode())
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)
    _fsync_dir(path.parent)
    return path


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def remove_stale_temp_files(folder: Path) -> list[Path]:
    """Remove temp files (and DuckDB WALs of temp files) left in `folder` by a process that is gone."""
    removed = []
    if not folder.is_dir():
        return removed
    for path in sorted(folder.iterdir()):
        match = _TEMP_NAME.match(path.name)
        if not match or not path.is_file():
            continue
        pid = match.group("pid")
        if pid and _pid_alive(int(pid[:-1])):
            continue
        path.unlink(missing_ok=True)
        removed.append(path)
    return removed


def reserve_failure_record_space(folder: Path) -> Path:
    """Keep a preallocated file beside the serving copy that last_failure.json can be written into when
    the disk has no room left for a new file."""
    reserve = folder / f".{FAILURE_FILE}.reserve"
    if reserve.exists() and reserve.stat().st_size >= FAILURE_RESERVE_BYTES:
        return reserve
    folder.mkdir(parents=True, exist_ok=True)
    tmp = temp_path(reserve)
    try:
        with open(tmp, "xb") as fh:
            fh.write(b" " * FAILURE_RESERVE_BYTES)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, reserve)
    finally:
        tmp.unlink(missing_ok=True)
    return reserve


def _write_into_reserve(path: Path, data: bytes) -> None:
    """Overwrite the reserved file in place (its blocks are already allocated), then rename it over `path`."""
    reserve = path.parent / f".{FAILURE_FILE}.reserve"
    if not reserve.exists():
        raise OSError(errno.ENOSPC, "no space left and no reserved file for the failure record", str(path))
    with open(reserve, "r+b") as fh:
        fh.write(data)
        fh.truncate(len(data))
        fh.flush()
        os.fsync(fh.fileno())
    os.replace(reserve, path)
    _fsync_dir(path.parent)


@dataclass(frozen=True)
class PublishResult:
    serving_path: Path
    tables: dict[str, int]
    published_at: str


def _copy_comments(con: duckdb.DuckDBPyConnection, schema: str, table: str) -> None:
    """Carry the dbt column docs (persisted as comments) into the serving copy, where BI users see them."""
    comment = con.execute(
        "select comment from duckdb_tables() where database_name = 'wh' and schema_name = ? and table_name = ?",
        [schema, table],
    ).fetchall()
    target = f"{quote_ident(schema)}.{quote_ident(table)}"
    if comment and comment[0][0]:
        con.execute(f"comment on table {target} is {sql_literal(comment[0][0])}")
    for column, text in con.execute(
        "select column_name, comment from duckdb_columns() "
        "where database_name = 'wh' and schema_name = ? and table_name = ? and comment is not null",
        [schema, table],
    ).fetchall():
        con.execute(f"comment on column {target}.{quote_ident(column)} is {sql_literal(text)}")


def publish_serving_copy(
    warehouse_path: Path, serving_path: Path, run_id: str | None = None, baseline_entities: list[str] = ()
) -> PublishResult:
    """Copy the marts; `baseline_entities`: the snapshot raw tables whose row counts the gates compare with."""
    from cs_warehouse.gates import snapshot_row_counts

    serving_path.parent.mkdir(parents=True, exist_ok=True)
    remove_stale_temp_files(serving_path.parent)
    staging_path = temp_path(serving_path)
    published_at = dt.datetime.now(dt.UTC).isoformat(timespec="seconds")
    tables: dict[str, int] = {}
    try:
        with duckdb.connect(str(staging_path)) as con:
            con.execute(f"attach {sql_literal(str(warehouse_path))} as wh (read_only)")
            for schema in PUBLISHED_SCHEMAS:
                con.execute(f"create schema if not exists {quote_ident(schema)}")
                names = con.execute(
                    "select table_name from duckdb_tables() where database_name = 'wh' and schema_name = ? "
                    "order by table_name",
                    [schema],
                ).fetchall()
                for (table,) in names:
                    target = f"{quote_ident(schema)}.{quote_ident(table)}"
                    con.execute(f"create table {target} as select * from wh.{target}")
                    _copy_comments(con, schema, table)
                    tables[f"{schema}.{table}"] = con.execute(f"select count(*) from {target}").fetchall()[0][0]
            baseline = {"row_counts": snapshot_row_counts(con, list(baseline_entities), catalog="wh")}
            con.execute(
                "create table main._publication as "
                "select ? as published_at, ? as run_id, ? as tables_json, ? as baseline_json",
                [published_at, run_id, json.dumps(tables), json.dumps(baseline)],
            )
            con.execute("detach wh")
            con.execute("checkpoint")
        os.replace(staging_path, serving_path)
    finally:
        staging_path.unlink(missing_ok=True)
        staging_path.with_name(staging_path.name + ".wal").unlink(missing_ok=True)
    status = {"status": "published", "published_at": published_at, "run_id": run_id, "tables": tables}
    write_json_atomic(serving_path.parent / "publish_status.json", status)
    return PublishResult(serving_path, tables, published_at)


def _clip(text: str, limit: int = 2000) -> str:
    return text if len(text) <= limit else text[: limit - 3] + "..."


def record_failed_night(
    serving_path: Path,
    run_id: str | None,
    reasons: list[str],
    root_cause: dict | None = None,
    stage: str = "run",
    command: str | None = None,
) -> Path:
    """Say why the serving copy was not replaced (`last_failure.json` beside it); the copy is not touched.

    Written atomically; when the disk has no room for a new file, written into the reserved file instead
    (see reserve_failure_record_space), shortened to fit its FAILURE_RESERVE_BYTES when it must."""
    serving_path.parent.mkdir(parents=True, exist_ok=True)
    path = serving_path.parent / FAILURE_FILE
    body = {
        "status": "not published",
        "failed_at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "stage": stage,
        "command": command,
        "run_id": run_id,
        "root_cause": {k: _clip(v) if isinstance(v, str) else v for k, v in (root_cause or {}).items()} or None,
        "reasons": reasons,
        "serving_copy_kept": str(serving_path) if serving_path.exists() else None,
    }
    try:
        write_json_atomic(path, body)
    except OSError as exc:
        if exc.errno != errno.ENOSPC:
            raise
        data = (json.dumps(body, ensure_ascii=False, indent=2) + "\n").encode()
        if len(data) > FAILURE_RESERVE_BYTES:  # keep what fits: the root cause and the first reasons
            body["reasons"] = [_clip(r, 500) for r in reasons[:20]]
            data = (json.dumps(body, ensure_ascii=False, indent=2) + "\n").encode()
        _write_into_reserve(path, data)
    return path
