"""Validate the semantic layer (MetricFlow semantic models and metrics) without touching a warehouse.

`mf validate-configs` reads `target/semantic_manifest.json` of the project directory and opens the
warehouse for its data checks; DuckDB admits one writer per file, so CI cannot run it beside a build.
This check gives the same semantic verdict offline:

1. `dbt parse` against the in-memory `lint` target, into a private target directory: dbt builds the
   semantic manifest and refuses one whose semantic models or metrics are broken.
2. MetricFlow's own validator over that manifest (the rules `mf validate-configs` applies before its
   warehouse step), so errors are listed by metric.
3. The project's rules: every metric carries `config.meta.label_ja` (the Japanese label reports and BI show);
   `config.meta.grains`, where given, lists known time grains, and its `grain_alternatives` name metrics.

Run `cs-warehouse semantic-check [--project-dir DIR]`; exit status 1 on any error.
"""

from __future__ import annotations

import json
import os
import subprocess
import tempfile
from pathlib import Path

from cs_warehouse.settings import dbt_executable


def parse_project(project_dir: Path, target_dir: Path) -> subprocess.CompletedProcess[str]:
    env = {
        **os.environ,
        "CSW_DBT_TARGET": "lint",
        "DBT_TARGET_PATH": str(target_dir),
        "DBT_LOG_PATH": str(target_dir / "logs"),
        "DBT_PROFILES_DIR": str(project_dir),
        # A partial parse could reuse a manifest from before the edit being checked.
        "DBT_PARTIAL_PARSE": "false",
    }
    return subprocess.run(
        [dbt_executable(), "parse", "--project-dir", str(project_dir), "--no-use-colors"],
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )


def metricflow_issues(semantic_manifest_path: Path) -> list[str]:
    from metricflow_semantic_interfaces.protocols.semantic_manifest import SemanticManifest
    from metricflow_semantic_interfaces.validations.semantic_manifest_validator import SemanticManifestValidator
    from metricflow_semantics.model.dbt_manifest_parser import parse_manifest_from_dbt_generated_manifest

    manifest = parse_manifest_from_dbt_generated_manifest(semantic_manifest_path.read_text())
    result = SemanticManifestValidator[SemanticManifest]().validate_semantic_manifest(manifest)
    return [issue.as_readable_str() for issue in result.errors]


def label_issues(manifest_path: Path) -> list[str]:
    manifest = json.loads(manifest_path.read_text())
    issues = []
    names = {node["name"] for node in manifest.get("metrics", {}).values()}
    for node in manifest.get("metrics", {}).values():
        if node.get("package_name") != manifest["metadata"].get("project_name"):
            continue
        meta = (node.get("config") or {}).get("meta") or node.get("meta") or {}
        if not str(meta.get("label_ja") or "").strip():
            issues.append(f"metric {node['name']}: config.meta.label_ja (Japanese label) is missing")
        issues += grain_issues(node["name"], meta, names)
    return issues


def grain_issues(name: str, meta: dict, metric_names: set[str]) -> list[str]:
    """`grains` (the only time grains the metric answers at) and `grain_alternatives` (grain -> metric)."""
    from cs_warehouse.semantic_query import TIME_GRAINS

    issues = []
    grains = meta.get("grains")
    if grains is not None and (not isinstance(grains, list) or not grains or set(grains) - set(TIME_GRAINS)):
        issues.append(f"metric {name}: config.meta.grains must be a list of {', '.join(TIME_GRAINS)}; got {grains!r}")
    for grain, other in (meta.get("grain_alternatives") or {}).items():
        if grain not in TIME_GRAINS or other not in metric_names:
            issues.append(f"metric {name}: grain_alternatives {grain}: {other} names no grain or no metric")
    return issues


def validate(project_dir: Path) -> tuple[list[str], int]:
    """Errors found (empty = valid) and the number of metrics checked."""
    with tempfile.TemporaryDirectory(prefix="csw-semantic-") as tmp:
        target_dir = Path(tmp)
        parsed = parse_project(project_dir, target_dir)
        if parsed.returncode != 0:
            tail = "\n".join((parsed.stdout + parsed.stderr).strip().splitlines()[-25:])
            return [f"dbt parse failed (semantic manifest rejected or project invalid):\n{tail}"], 0
        semantic_manifest = target_dir / "semantic_manifest.json"
        errors = metricflow_issues(semantic_manifest) + label_issues(target_dir / "manifest.json")
        metrics = len(json.loads(semantic_manifest.read_text()).get("metrics", []))
    return errors, metrics
