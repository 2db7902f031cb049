"""A local SparkSession configured exactly like the dbt `spark` target (profiles.yml), so that tables the
loader creates are the ones dbt sees: same metastore, same warehouse directory."""

from __future__ import annotations

import os
from pathlib import Path

import jinja2

from cs_warehouse.settings import profile_output


def _render(value: object) -> str:
    def env_var(name: str, default: str | None = None) -> str:
        if name in os.environ:
            return os.environ[name]
        if default is None:
            raise KeyError(f"environment variable {name} is not set")
        return default

    return jinja2.Template(str(value)).render(env_var=env_var)


def session_parameters(profiles_path: Path | None = None) -> dict[str, str]:
    """The `server_side_parameters` of the dbt `spark` target, rendered from the environment."""
    profile = profile_output("spark", profiles_path)
    return {key: _render(value) for key, value in (profile.get("server_side_parameters") or {}).items()}


def get_session():
    from pyspark.sql import SparkSession

    builder = SparkSession.builder.enableHiveSupport()
    for key, value in session_parameters().items():
        builder = builder.config(key, value)
    return builder.getOrCreate()
