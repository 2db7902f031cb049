"""The warehouse's dbt resource skips two start-up steps of dagster-dbt that the nightly does not use: running
`dbt --version` to learn the version, and opening a dbt adapter in-process for table metadata."""

from __future__ import annotations

import functools
import re
import subprocess

import pytest
from dagster_dbt import DbtCliResource

from cs_warehouse.defs.dbt import WarehouseDbtResource, dbt_resource
from cs_warehouse.settings import Settings, dbt_executable


def test_the_overridden_members_still_exist_in_dagster_dbt() -> None:
    # Renamed or removed upstream, the overrides would silently stop saving anything.
    assert isinstance(DbtCliResource.__dict__.get("_cli_version"), functools.cached_property)
    assert callable(DbtCliResource.__dict__.get("_initialize_dbt_core_adapter"))


def test_the_version_is_the_one_dbt_reports_without_running_dbt(monkeypatch: pytest.MonkeyPatch) -> None:
    reported = subprocess.run([dbt_executable(), "--version"], capture_output=True, text=True, check=True).stdout
    expected = re.search(r"installed: (\d+\.\d+\.\d+)", reported)
    assert expected, reported

    resource = dbt_resource(Settings.from_env())
    assert isinstance(resource, WarehouseDbtResource)

    def no_subprocess(*args, **kwargs):
        raise AssertionError(f"dbt was started: {args}")

    monkeypatch.setattr("dagster_dbt.core.resource.check_output", no_subprocess)
    assert str(resource._cli_version) == expected.group(1)
    assert resource._initialize_dbt_core_adapter(["build"]) is None
