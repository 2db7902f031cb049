"""What the nightly's dbt build has to do: only the nodes downstream of something new.

After every successful build the nightly records what the build read (`dbt.build_state.json` in the quality
history folder): a signature of the project (every node's checksum, the project's macros, dbt_project.yml,
the target and the vars given on the command line except the reporting day), the reporting day, and the
newest load id of every raw table. The next night compares:

- no record, a changed project, or `CSW_FULL_CHECKS` set: everything is built;
- otherwise the nodes downstream of each raw table with a newer load (`source:<source>.<table>+`) and, when
  the reporting day moved, of each model whose SQL (or a project macro it calls) reads `as_of_date`;
- nothing new at all: dbt is not started.

A node left out is unchanged by construction: its inputs are the same tables, code and settings as at its
last successful build.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import duckdb

STATE_NAME = "dbt.build_state.json"
RUN_VARS = ("as_of_date",)
REPORTING_DAY_VAR = re.compile(r"""var\(\s*['"]as_of_date['"]""")


@dataclass(frozen=True)
class Plan:
    """`select` None = build everything; [] = nothing to do; else dbt selectors (union)."""

    select: list[str] | None
    reason: str

    def left_out(self, manifest: Mapping[str, Any]) -> list[str]:
        """Unique ids of the models, seeds and snapshots outside the selection (none when building all)."""
        if not self.select:
            return []
        roots = set()
        by_table = {(s["source_name"], s["name"]): uid for uid, s in manifest.get("sources", {}).items()}
        by_name = {n["name"]: uid for uid, n in manifest.get("nodes", {}).items() if n["resource_type"] == "model"}
        for selector in self.select:
            name = selector.removesuffix("+")
            if name.startswith("source:"):
                source, table = name.removeprefix("source:").split(".", 1)
                roots.add(by_table[(source, table)])
            else:
                roots.add(by_name[name])
        keep, frontier = set(roots), list(roots)
        children = manifest.get("child_map", {})
        while frontier:
            for child in children.get(frontier.pop(), []):
                if child not in keep:
                    keep.add(child)
                    frontier.append(child)
        return sorted(
            uid
            for uid, node in manifest.get("nodes", {}).items()
            if node["resource_type"] in ("model", "seed", "snapshot") and uid not in keep
        )

    def exclude(self, manifest: Mapping[str, Any]) -> list[str]:
        """`left_out` as `fqn:` selectors for `--exclude` (the nightly's dbt command keeps dagster-dbt's own
        `--select`; a second `--select` would add to it)."""
        return sorted("fqn:" + ".".join(manifest["nodes"][uid]["fqn"]) for uid in self.left_out(manifest))


def project_signature(manifest: Mapping[str, Any], project_file: Path, target: str, cli_vars: Mapping) -> str:
    digest = hashlib.sha256()
    for unique_id, node in sorted(manifest.get("nodes", {}).items()):
        digest.update(f"{unique_id}={(node.get('checksum') or {}).get('checksum')}\n".encode())
    project = manifest.get("metadata", {}).get("project_name")
    for unique_id, macro in sorted(manifest.get("macros", {}).items()):
        if macro.get("package_name") == project:
            digest.update(f"{unique_id}={macro.get('macro_sql', '')}\n".encode())
    digest.update(project_file.read_bytes())
    settings = {k: v for k, v in cli_vars.items() if k not in RUN_VARS}
    digest.update(json.dumps({"target": target, "vars": settings}, sort_keys=True, default=str).encode())
    return digest.hexdigest()


def latest_loads(warehouse_path: Path) -> dict[str, str]:
    """Newest load id per raw table (the load audit, ingestion/audit.py)."""
    if not warehouse_path.exists():
        return {}
    with duckdb.connect(str(warehouse_path), read_only=True) as con:
        try:
            rows = con.execute("select entity, max(load_id) from raw._load_audit group by entity").fetchall()
        except duckdb.CatalogException:
            return {}
    return {entity: load_id for entity, load_id in rows}


def reporting_day_models(manifest: Mapping[str, Any]) -> list[str]:
    """Models whose SQL, or a project macro they call (directly or through other macros), reads as_of_date."""
    macros = manifest.get("macros", {})
    reads: dict[str, bool] = {}

    def macro_reads(unique_id: str, seen: frozenset[str] = frozenset()) -> bool:
        if unique_id in reads:
            return reads[unique_id]
        macro = macros.get(unique_id)
        if macro is None or unique_id in seen:
            return False
        found = bool(REPORTING_DAY_VAR.search(macro.get("macro_sql", ""))) or any(
            macro_reads(m, seen | {unique_id}) for m in (macro.get("depends_on") or {}).get("macros", [])
        )
        reads[unique_id] = found
        return found

    names = []
    for node in manifest.get("nodes", {}).values():
        if node.get("resource_type") != "model":
            continue
        if REPORTING_DAY_VAR.search(node.get("raw_code", "")) or any(
            macro_reads(m) for m in (node.get("depends_on") or {}).get("macros", [])
        ):
            names.append(node["name"])
    return sorted(names)


def source_selectors(manifest: Mapping[str, Any], tables: list[str]) -> list[str]:
    """`source:<source>.<table>+` for each raw table the project declares as a source."""
    by_table = {s["name"]: s["source_name"] for s in manifest.get("sources", {}).values()}
    return [f"source:{by_table[t]}.{t}+" for t in sorted(tables) if t in by_table]


def current_state(manifest, project_file: Path, target: str, cli_vars: Mapping, reporting_day: dt.date,
                  warehouse_path: Path) -> dict[str, Any]:  # fmt: skip
    return {
        "project": project_signature(manifest, project_file, target, cli_vars),
        "as_of_date": reporting_day.isoformat(),
        "loads": latest_loads(warehouse_path),
    }


def plan(previous: Mapping[str, Any] | None, current: Mapping[str, Any], manifest: Mapping[str, Any],
         force_full: bool = False) -> Plan:  # fmt: skip
    if force_full:
        return Plan(None, "a full build was asked for (CSW_FULL_CHECKS)")
    if previous is None:
        return Plan(None, "no earlier build recorded")
    if previous.get("project") != current["project"]:
        return Plan(None, "the dbt project or its settings changed")
    loads, before = current["loads"], previous.get("loads", {})
    changed = sorted(t for t in loads if loads[t] != before.get(t))
    select = source_selectors(manifest, changed)
    reasons = [f"new loads of {', '.join(changed)}"] if changed else []
    if previous.get("as_of_date") != current["as_of_date"]:
        select += [f"{name}+" for name in reporting_day_models(manifest)]
        reasons.append(f"reporting day {previous.get('as_of_date')} -> {current['as_of_date']}")
    if not select:
        return Plan([], "nothing new since the last build")
    return Plan(select, "; ".join(reasons))


def read(history_dir: Path) -> dict[str, Any] | None:
    path = history_dir / STATE_NAME
    return json.loads(path.read_text(encoding="utf-8")) if path.exists() else None


def record(history_dir: Path, state: Mapping[str, Any]) -> None:
    history_dir.mkdir(parents=True, exist_ok=True)
    path = history_dir / STATE_NAME
    temporary = path.with_suffix(".tmp")
    temporary.write_text(json.dumps(state, indent=2, sort_keys=True) + "\n", encoding="utf-8")
    temporary.replace(path)
