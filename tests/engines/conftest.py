"""Shared builds for the engine tests: the session's standard dataset (tests/conftest.py `standard_build`),
ingested into DuckDB and built there with dbt once per session; each engine leg copies its raw schema from
that warehouse and builds on its own."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

from cs_warehouse.settings import PROJECT_DIR
from tests.conftest import STANDARD, Build

AS_OF = STANDARD.end_date
BIN = Path(sys.executable).parent
# A whole dbt build of the project on the small dataset takes well under a minute on DuckDB and PostgreSQL
# and a few minutes on local Spark; the bound only stops a hung engine from hanging CI.
BUILD_TIMEOUT_S = int(os.environ.get("CSW_ENGINE_TEST_TIMEOUT", "1500"))


@dataclass(frozen=True)
class Workspace:
    root: Path
    env: dict[str, str]

    @property
    def warehouse(self) -> Path:
        return Path(self.env["CSW_DUCKDB_PATH"])

    def run(self, *args: str, target: str | None = None) -> subprocess.CompletedProcess:
        env = dict(self.env)
        if target:
            env["DBT_TARGET_PATH"] = str(self.root / f"target_{target}")
            env["DBT_LOG_PATH"] = str(self.root / f"logs_{target}")
        result = subprocess.run(
            list(args), cwd=PROJECT_DIR, env=env, capture_output=True, text=True, timeout=BUILD_TIMEOUT_S
        )
        if result.returncode != 0:
            tail = "\n".join((result.stdout + result.stderr).splitlines()[-60:])
            pytest.fail(f"{' '.join(args[:4])} failed ({result.returncode}):\n{tail}")
        return result

    def dbt_build(self, target: str) -> subprocess.CompletedProcess:
        return self.run(
            str(BIN / "dbt"), "build", "--target", target, "--vars", f"{{as_of_date: '{AS_OF}'}}", target=target
        )

    def load_raw(self, target: str) -> subprocess.CompletedProcess:
        return self.run(sys.executable, "-m", "cs_warehouse", "engines", "load-raw", "--target", target)


@pytest.fixture(scope="session")
def engine_workspace(tmp_path_factory, standard_build: Build) -> Workspace:
    """The DuckDB reference: the standard dataset, ingested and built with every dbt test (read here, never
    written: the legs only read its raw schema and marts)."""
    root = tmp_path_factory.mktemp("engines")
    env = dict(standard_build.env)
    env.update({"CSW_SPARK_DIR": str(root / "spark")})
    env.pop("DBT_TARGET_PATH", None)
    env.pop("DBT_LOG_PATH", None)
    yield Workspace(root, env)
    shutil.rmtree(root / "spark", ignore_errors=True)
