"""The dbt project as Dagster sees it: paths, target and the manifest."""

from __future__ import annotations

import os

from dagster_dbt import DbtProject

from cs_warehouse.settings import PROJECT_DIR, Settings


def build_dbt_project(settings: Settings | None = None) -> DbtProject:
    settings = settings or Settings.from_env()
    project = DbtProject(
        project_dir=PROJECT_DIR,
        profiles_dir=PROJECT_DIR,
        target=settings.dbt_target,
        target_path=PROJECT_DIR / "target",
    )
    # The manifest is produced by `dbt parse` (make run/test do it); build it here only when missing so
    # that the definitions load in a fresh checkout, and in `dagster dev` where it follows every edit.
    if not project.manifest_path.exists() or os.environ.get("DAGSTER_IS_DEV_CLI"):
        project.preparer.prepare(project)
    return project


dbt_project = build_dbt_project()
