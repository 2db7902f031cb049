"""The clean-build check reads dbt's run results: a `warn` test counts as a failed warning."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from cs_warehouse.quality.dbt_results import dbt_issues


def write_results(path: Path, statuses: dict[str, tuple[str, int | None]]) -> Path:
    results = [
        {"unique_id": uid, "status": status, "failures": failures, "message": f"Got {failures} results"}
        for uid, (status, failures) in statuses.items()
    ]
    path.write_text(json.dumps({"metadata": {}, "results": results, "elapsed_time": 1.0, "args": {}}))
    return path


def test_only_nodes_that_did_not_pass_are_reported(tmp_path: Path) -> None:
    path = write_results(
        tmp_path / "run_results.json",
        {
            "model.cs_warehouse.mart_kpi_monthly": ("success", None),
            "test.cs_warehouse.unique_x": ("pass", 0),
            "exposure.cs_warehouse.bi": ("no-op", None),
            "test.cs_warehouse.relationships_orphans": ("warn", 3),
            "test.cs_warehouse.not_null_y": ("fail", 1),
            "model.cs_warehouse.after_the_failure": ("skipped", None),
        },
    )
    issues = dbt_issues(path)
    assert [(i.unique_id, i.status) for i in issues] == [
        ("test.cs_warehouse.relationships_orphans", "warn"),
        ("test.cs_warehouse.not_null_y", "fail"),
        ("model.cs_warehouse.after_the_failure", "skipped"),
    ]
    assert str(issues[0]) == "warn: test.cs_warehouse.relationships_orphans (3 rows) Got 3 results"


def test_a_clean_run_reports_nothing(tmp_path: Path) -> None:
    path = write_results(tmp_path / "run_results.json", {"test.cs_warehouse.unique_x": ("pass", 0)})
    assert dbt_issues(path) == []


def test_missing_or_foreign_file_is_named(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError, match="no dbt run results"):
        dbt_issues(tmp_path / "run_results.json")
    (tmp_path / "other.json").write_text("{}")
    with pytest.raises(ValueError, match=r"other\.json: not a dbt run_results\.json"):
        dbt_issues(tmp_path / "other.json")
