"""The semantic-layer check fails a pull request that breaks a metric."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import yaml

from cs_warehouse.settings import PROJECT_DIR
from cs_warehouse.tooling.semantic_check import label_issues, validate

PROJECT_PARTS = ("dbt_project.yml", "profiles.yml", "models", "macros", "seeds", "data-tests")


def _copy_project(dest: Path) -> Path:
    for part in PROJECT_PARTS:
        source = PROJECT_DIR / part
        if source.is_dir():
            shutil.copytree(source, dest / part, ignore=shutil.ignore_patterns("__pycache__"))
        elif source.exists():
            (dest / part).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, dest / part)
    return dest


def test_a_ratio_metric_over_an_unknown_metric_fails_validation(tmp_path: Path) -> None:
    project = _copy_project(tmp_path / "project")
    metrics_file = project / "models" / "semantic" / "metrics_revenue.yml"
    body = yaml.safe_load(metrics_file.read_text(encoding="utf-8"))
    broken = next(m for m in body["metrics"] if m["name"] == "logo_churn_rate")
    broken["type_params"]["numerator"] = "churned_acounts"  # the typo a reviewer could miss
    metrics_file.write_text(yaml.safe_dump(body, allow_unicode=True, sort_keys=False), encoding="utf-8")

    errors, _ = validate(project)

    assert errors, "a metric over an unknown metric passed validation"
    assert "churned_acounts" in "\n".join(errors)


def test_a_metric_without_its_japanese_label_is_reported(tmp_path: Path) -> None:
    manifest = {
        "metadata": {"project_name": "cs_warehouse"},
        "metrics": {
            "metric.cs_warehouse.mrr": {
                "name": "mrr",
                "package_name": "cs_warehouse",
                "config": {"meta": {"label_ja": "MRR"}},
            },
            "metric.cs_warehouse.new_one": {"name": "new_one", "package_name": "cs_warehouse", "config": {"meta": {}}},
        },
    }
    path = tmp_path / "manifest.json"
    path.write_text(json.dumps(manifest))

    assert label_issues(path) == ["metric new_one: config.meta.label_ja (Japanese label) is missing"]


def test_grain_limits_name_known_grains_and_metrics(tmp_path: Path) -> None:
    def metric(name: str, **meta) -> dict:
        return {"name": name, "package_name": "cs_warehouse", "config": {"meta": {"label_ja": name, **meta}}}

    manifest = {
        "metadata": {"project_name": "cs_warehouse"},
        "metrics": {
            "a": metric("monthly", grains=["month"], grain_alternatives={"fiscal_year": "yearly"}),
            "b": metric("yearly", grains=["fiscal_year"]),
            "c": metric("typo", grains=["monthly"]),
            "d": metric("dangling", grains=["month"], grain_alternatives={"fiscal_year": "nowhere"}),
        },
    }
    path = tmp_path / "manifest.json"
    path.write_text(json.dumps(manifest))

    issues = label_issues(path)
    assert len(issues) == 2
    assert issues[0].startswith("metric typo: config.meta.grains must be a list of day, week")
    assert issues[1] == "metric dangling: grain_alternatives fiscal_year: nowhere names no grain or no metric"
