"""A Great Expectations SQL datasource for the DuckDB warehouse file, read-only.

Why this exists: GX's generic SQL engine runs each metric query inside `with engine.connect()` and reads
the rows only after that block has closed the connection. Closing a SQLAlchemy 2 connection rolls back
its implicit transaction, and on duckdb-engine that rollback runs on the one DuckDB connection the cursor
reads from, so every metric query comes back empty ("list index out of range"). GX already keeps one
persistent connection for dialects with the same property (SQLite, SQL Server…); this module does the
same for DuckDB, and nothing else: no metric, query or expectation of GX is changed.

The datasource registers as GX fluent type `duckdb_warehouse` (`context.data_sources.add_duckdb_warehouse`).
The file is always opened with `read_only=True`: dbt may be the writer of the warehouse at the same time.
"""

from __future__ import annotations

from collections.abc import Generator
from contextlib import contextmanager
from typing import Literal

import sqlalchemy as sa
from great_expectations.datasource.fluent import SQLDatasource
from great_expectations.execution_engine import SqlAlchemyExecutionEngine

from cs_warehouse.settings import duckdb_memory_limit


class DuckDBExecutionEngine(SqlAlchemyExecutionEngine):
    """GX's SQL engine, holding one connection open so results are read before any rollback."""

    @contextmanager
    def get_connection(self) -> Generator[sa.Connection, None, None]:
        if self._connection is None or self._connection.closed:
            self._connection = self.engine.connect()
        yield self._connection

    def close(self) -> None:
        super().close()
        self.engine.dispose()


class DuckDBWarehouseDatasource(SQLDatasource):
    """Tables and queries of one DuckDB file, computed in DuckDB (nothing is loaded into pandas)."""

    type: Literal["duckdb_warehouse"] = "duckdb_warehouse"  # type: ignore[assignment]

    @property
    def execution_engine_type(self) -> type[SqlAlchemyExecutionEngine]:
        return DuckDBExecutionEngine


def duckdb_url(path: str) -> str:
    return f"duckdb:///{path}"


def engine_kwargs() -> dict:
    """Read-only, one connection: StaticPool hands GX the same DuckDB connection every time, so no second
    handle on the file is ever opened by the pool. The memory limit is the loader's and dbt's: a key
    aggregate over every raw event would otherwise let DuckDB grow towards 80 % of RAM (at 100M events it
    passed 12 GiB); bounded, it spills to a temp folder beside the file, which works on a read-only one."""
    config = {"memory_limit": duckdb_memory_limit(), "preserve_insertion_order": False}
    return {"connect_args": {"read_only": True, "config": config}, "poolclass": sa.pool.StaticPool}
