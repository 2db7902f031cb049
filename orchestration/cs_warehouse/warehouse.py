"""The warehouse as a Dagster resource: the settings the code location resolved, and DuckDB connections.

Assets, checks and sensors take a `warehouse: WarehouseResource` parameter instead of reading the
environment: definitions.py resolves `Settings` once and builds the resource from them
(`WarehouseResource.from_settings`), so a run, a test or a second code location can use other settings by
handing in another resource. The resource's config holds paths and names, which the Dagster UI shows; the
failure webhook, a secret, is passed as `dg.EnvVar("CSW_NOTIFY_WEBHOOK_URL")`, which the UI shows by name only.
"""

from __future__ import annotations

import contextlib
import os
import typing
from collections.abc import Iterator
from pathlib import Path

import dagster as dg
import duckdb
from pydantic import Field

from cs_warehouse.settings import PROJECT_DIR, Settings, duckdb_memory_limit

NOTIFY_WEBHOOK_ENV = "CSW_NOTIFY_WEBHOOK_URL"
# The fields of Settings the resource carries as config (all but the project folder), with their types.
_CONFIG_TYPES = {name: hint for name, hint in typing.get_type_hints(Settings).items() if name != "project_dir"}


def _optional(hint: object) -> bool:
    return type(None) in typing.get_args(hint)


class WarehouseResource(dg.ConfigurableResource):
    """Where the warehouse lives and how it is read: the fields of `Settings`, as config."""

    landing_dir: str = Field(description="Landing folder of the raw exports (CSW_LANDING_DIR).")
    warehouse_path: str = Field(description="The DuckDB file the night builds (CSW_DUCKDB_PATH).")
    serving_path: str = Field(description="The read-only serving copy for BI (CSW_SERVING_PATH).")
    reports_dir: str = Field(description="Folder of the reports (CSW_REPORTS_DIR).")
    dbt_target: str = Field(description="dbt target of profiles.yml (CSW_DBT_TARGET).")
    reporting_timezone: str = Field(description="Time zone of the reporting day (CSW_REPORTING_TIMEZONE).")
    gx_docs_dir: str = Field(description="Great Expectations Data Docs (CSW_GX_DOCS_DIR).")
    quality_history_dir: str = Field(description="Quality history (CSW_QUALITY_HISTORY_DIR).")
    quality_as_of_date: str | None = Field(default=None, description="Fixed reporting day (CSW_AS_OF_DATE).")
    events_start_date: str | None = Field(default=None, description="First event partition (CSW_EVENTS_START_DATE).")
    notify_webhook_url: str | None = Field(default=None, description="Failure webhook (CSW_NOTIFY_WEBHOOK_URL).")

    @classmethod
    def from_settings(cls, settings: Settings) -> WarehouseResource:
        """The resource for `settings`; the failure webhook, when set, by reference to its variable when that
        holds the same value (the UI then shows the name, never the URL)."""
        webhook: str | dg.EnvVar | None = settings.notify_webhook_url
        if webhook is not None and os.environ.get(NOTIFY_WEBHOOK_ENV) == webhook:
            webhook = dg.EnvVar(NOTIFY_WEBHOOK_ENV)
        config = {name: getattr(settings, name) for name in _CONFIG_TYPES}
        config = {name: str(value) if isinstance(value, Path) else value for name, value in config.items()}
        return cls(**(config | {"notify_webhook_url": webhook}))

    @property
    def settings(self) -> Settings:
        values = {}
        for name, hint in _CONFIG_TYPES.items():
            value = getattr(self, name)
            # paths are strings in the config; an optional setting left empty is unset
            values[name] = Path(value) if hint is Path else (value or None) if _optional(hint) else value
        return Settings(project_dir=PROJECT_DIR, **values)

    def connect(self, read_only: bool = False) -> contextlib.AbstractContextManager[duckdb.DuckDBPyConnection]:
        """A connection to the warehouse file (connect_warehouse)."""
        return connect_warehouse(Path(self.warehouse_path), read_only=read_only)


@contextlib.contextmanager
def connect_warehouse(path: Path, read_only: bool = False) -> Iterator[duckdb.DuckDBPyConnection]:
    """A connection to the warehouse file, closed when the block ends: read-write (one writer per file; the
    folder is created) or read-only. Every connection of this process to the file has the same configuration
    (DuckDB refuses a second one that differs): the memory limit of duckdb_memory_limit()."""
    if not read_only:
        path.parent.mkdir(parents=True, exist_ok=True)
    con = duckdb.connect(str(path), read_only=read_only, config={"memory_limit": duckdb_memory_limit()})
    try:
        yield con
    finally:
        con.close()
