"""One typed settings object, read from the environment, with defaults that run offline from the repo."""

from __future__ import annotations

import datetime as dt
import os
import shutil
import sys
import zoneinfo
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from cs_warehouse.delivery import DeliveryConfig

PROJECT_DIR = Path(__file__).resolve().parents[2]


def dbt_executable() -> str:
    """The dbt beside this interpreter: the environment that runs Dagster also runs dbt, whether or not its
    folder is on PATH (a virtualenv that is not activated); else the `dbt` on PATH."""
    beside = Path(sys.executable).parent / "dbt"
    return str(beside) if beside.exists() else (shutil.which("dbt") or "dbt")


def yesterday_in(timezone: str) -> dt.date:
    """Yesterday in `timezone` (the reporting time zone): the last complete day."""
    return dt.datetime.now(zoneinfo.ZoneInfo(timezone)).date() - dt.timedelta(days=1)


def duckdb_memory_limit() -> str:
    """DuckDB's memory limit for every connection the project opens on the warehouse (loader, dbt through
    profiles.yml, Great Expectations): past it DuckDB spills to disk instead of growing towards 80 % of RAM."""
    return os.environ.get("CSW_DUCKDB_MEMORY_LIMIT", "6GB")


def optional_exports() -> frozenset[str]:
    """Snapshot entities whose export may be missing from the landing folder, beyond those the contract marks
    `optional`: CSW_OPTIONAL_EXPORTS, comma-separated (e.g. `contacts,csat_responses`)."""
    return frozenset(n.strip() for n in os.environ.get("CSW_OPTIONAL_EXPORTS", "").split(",") if n.strip())


def profile_output(target: str, profiles_path: Path | None = None) -> dict:
    """The unrendered `outputs.<target>` of the project's dbt profile (profiles.yml in DBT_PROFILES_DIR, else
    the project folder); empty when the target is not defined."""
    import yaml

    path = profiles_path or Path(os.environ.get("DBT_PROFILES_DIR", PROJECT_DIR)) / "profiles.yml"
    return yaml.safe_load(path.read_text(encoding="utf-8"))["cs_warehouse"]["outputs"].get(target) or {}


def _flag(env: str, default: bool) -> bool:
    value = (os.environ.get(env) or "").strip().lower()
    if not value:
        return default
    if value in ("1", "true", "yes", "on"):
        return True
    if value in ("0", "false", "no", "off"):
        return False
    raise ValueError(f"{env}={value!r}: expected 1/0, true/false, yes/no or on/off")


def delivery_config(warehouse_path: Path, timezone: str = "Asia/Tokyo") -> DeliveryConfig:
    """Alert delivery (delivery.py) from CSW_DELIVERY_*: channels, secrets, and its folder beside the warehouse."""
    from cs_warehouse.delivery import DeliveryConfig

    port = os.environ.get("CSW_DELIVERY_SMTP_PORT") or "587"
    if not port.isdigit():
        raise ValueError(f"CSW_DELIVERY_SMTP_PORT={port!r}: expected a port number")
    return DeliveryConfig(
        directory=_path("CSW_DELIVERY_DIR", warehouse_path.parent / "delivery"),
        webhook_url=os.environ.get("CSW_DELIVERY_WEBHOOK_URL") or None,
        smtp_host=os.environ.get("CSW_DELIVERY_SMTP_HOST") or None,
        smtp_port=int(port),
        smtp_user=os.environ.get("CSW_DELIVERY_SMTP_USER") or None,
        smtp_password=os.environ.get("CSW_DELIVERY_SMTP_PASSWORD") or None,
        smtp_starttls=_flag("CSW_DELIVERY_SMTP_STARTTLS", True),
        mail_from=os.environ.get("CSW_DELIVERY_MAIL_FROM") or None,
        dry_run=_flag("CSW_DELIVERY_DRY_RUN", False),
        timezone=timezone,
    )


def _path(env: str, default: Path) -> Path:
    value = os.environ.get(env)
    path = Path(value) if value else default
    return path if path.is_absolute() else PROJECT_DIR / path


@dataclass(frozen=True)
class Settings:
    project_dir: Path
    landing_dir: Path
    warehouse_path: Path
    serving_path: Path
    reports_dir: Path
    dbt_target: str
    reporting_timezone: str
    notify_webhook_url: str | None
    # Quality (Great Expectations) outputs, beside the warehouse file and never inside it: Data Docs for
    # people, and the row-count history the "vs previous run" checks compare with.
    gx_docs_dir: Path = field(default_factory=lambda: _path("CSW_GX_DOCS_DIR", PROJECT_DIR / "warehouse" / "gx_docs"))
    quality_history_dir: Path = field(
        default_factory=lambda: _path("CSW_QUALITY_HISTORY_DIR", PROJECT_DIR / "warehouse" / "quality_history")
    )
    # Reference day for freshness checks (YYYY-MM-DD, end of that day in the reporting zone); unset = now.
    quality_as_of_date: str | None = field(default_factory=lambda: os.environ.get("CSW_AS_OF_DATE") or None)
    # First day of the event partitions (YYYY-MM-DD); unset = the first day folder of the landing event log.
    events_start_date: str | None = field(default_factory=lambda: os.environ.get("CSW_EVENTS_START_DATE") or None)

    @property
    def delivery(self) -> DeliveryConfig:
        return delivery_config(self.warehouse_path, self.reporting_timezone)

    @classmethod
    def from_env(cls) -> Settings:
        return cls(
            project_dir=PROJECT_DIR,
            landing_dir=_path("CSW_LANDING_DIR", PROJECT_DIR / "data" / "landing"),
            warehouse_path=_path("CSW_DUCKDB_PATH", PROJECT_DIR / "warehouse" / "cs_warehouse.duckdb"),
            serving_path=_path("CSW_SERVING_PATH", PROJECT_DIR / "warehouse" / "serving" / "cs_marts.duckdb"),
            reports_dir=_path("CSW_REPORTS_DIR", PROJECT_DIR / "warehouse" / "reports"),
            dbt_target=os.environ.get("CSW_DBT_TARGET", "dev"),
            reporting_timezone=os.environ.get("CSW_REPORTING_TIMEZONE", "Asia/Tokyo"),
            notify_webhook_url=os.environ.get("CSW_NOTIFY_WEBHOOK_URL") or None,
        )
