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
from collections.abc import Iterator
from pathlib import Path

import dagster as dg
import duckdb
from pydantic import Field

from cs_warehouse.settings import PROJECT_DIR, Settings, duckdb_memory_limit

NOTIFY_WEBHOOK_ENV = "CSW_NOTIFY_WEBHOOK_URL"


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
        return cls(
            landing_dir=str(settings.landing_dir),
            warehouse_path=str(settings.warehouse_path),
            serving_path=str(settings.serving_path),
            reports_dir=str(settings.reports_dir),
            dbt_target=settings.dbt_target,
            reporting_timezone=settings.reporting_timezone,
            gx_docs_dir=str(settings.gx_docs_dir),
            quality_history_dir=str(settings.quality_history_dir),
            quality_as_of_date=settings.quality_as_of_date,
            events_start_date=settings.events_start_date,
            notify_webhook_url=webhook,
        )

    @property
    def settings(self) -> Settings:
        return Settings(
            project_dir=PROJECT_DIR,
            landing_dir=Path(self.landing_dir),
            warehouse_path=Path(self.warehouse_path),
            serving_path=Path(self.serving_path),
            reports_dir=Path(self.reports_dir),
            dbt_target=self.dbt_target,
            reporting_timezone=self.reporting_timezone,
            notify_webhook_url=self.notify_webhook_url or None,
            gx_docs_dir=Path(self.gx_docs_dir),
            quality_history_dir=Path(self.quality_history_dir),
            quality_as_of_date=self.quality_as_of_date or None,
            events_start_date=self.events_start_date or None,
        )

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
