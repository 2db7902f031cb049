"""The dbt project as Dagster sees it: paths, target and the manifest."""

from __future__ import annotations

import os
from pathlib import Path

from dagster_dbt import DbtProject

from cs_warehouse.settings import PROJECT_DIR, Settings


def dbt_target_path() -> Path:
    """dbt's own DBT_TARGET_PATH when set, so that a second checkout of the warehouse (a benchmark, a test run)
    reads the manifest it parsed itself instead of the one in the repo's target folder."""
    value = os.environ.get("DBT_TARGET_PATH")
    path = Path(value) if value else Path("target")
    return path if path.is_absolute() else PROJECT_DIR / path


def build_dbt_project(settings: Settings | None = None) -> DbtProject:
    settings = settings or Settings.from_env()
    project = DbtProject(
        project_dir=PROJECT_DIR,
        profiles_dir=PROJECT_DIR,
        target=settings.dbt_target,
        target_path=dbt_target_path(),
    )
    # The manifest is produced by `dbt parse` (make run/test do it); build it here only when missing so
    # that the definitions load in a fresh checkout, and in `dagster dev` where it follows every edit.
    if not project.manifest_path.exists() or os.environ.get("DAGSTER_IS_DEV_CLI"):
        project.preparer.prepare(project)
    return project


dbt_project = build_dbt_project()
