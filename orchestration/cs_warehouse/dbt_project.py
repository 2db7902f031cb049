"""The dbt project as Dagster sees it: paths, target and the manifest."""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from dagster_dbt import DbtProject
from dagster_dbt.dbt_project import DagsterDbtProjectPreparer

from cs_warehouse.settings import PROJECT_DIR, dbt_executable


@contextmanager
def _dbt_on_path() -> Iterator[None]:
    """PATH with the folder of `dbt_executable()` in front, for as long as the block runs."""
    folder = str(Path(dbt_executable()).parent)
    before = os.environ.get("PATH")
    if folder == "." or folder in (before or "").split(os.pathsep):
        yield
        return
    os.environ["PATH"] = os.pathsep.join(p for p in (folder, before) if p)
    try:
        yield
    finally:
        if before is None:
            os.environ.pop("PATH", None)
        else:
            os.environ["PATH"] = before


class WarehousePreparer(DagsterDbtProjectPreparer):
    """dagster-dbt's `dbt parse` preparation, run with the dbt of `dbt_executable()`: dagster-dbt looks dbt up
    on PATH only, which lacks it when the virtualenv is not activated (`make dev`)."""

    def prepare(self, project: DbtProject) -> None:
        with _dbt_on_path():
            super().prepare(project)


def dbt_target_path() -> Path:
    """dbt's own DBT_TARGET_PATH when set, so that a second checkout of the warehouse (a benchmark, a test run)
    reads the manifest it parsed itself instead of the one in the repo's target folder."""
    value = os.environ.get("DBT_TARGET_PATH")
    path = Path(value) if value else Path("target")
    return path if path.is_absolute() else PROJECT_DIR / path


def build_dbt_project() -> DbtProject:
    """The project with its manifest. The target is left to profiles.yml (CSW_DBT_TARGET), which `dbt parse`
    reads the same way; the dbt resource names the settings' target for the runs."""
    project = DbtProject(project_dir=PROJECT_DIR, profiles_dir=PROJECT_DIR, target_path=dbt_target_path())
    # The manifest is produced by `dbt parse` (make run/test do it); prepared here when missing, so that the
    # definitions load in a fresh checkout, and in `dagster dev`, where it follows every edit (prepare_if_dev).
    preparer = WarehousePreparer()
    if not project.manifest_path.exists():
        preparer.prepare(project)
    else:
        preparer.prepare_if_dev(project)
    return project


dbt_project = build_dbt_project()
