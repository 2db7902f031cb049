"""`make pr-check`: the checks of a pull request against the base branch and the production state.

1. Lint only the files the branch changes against the merge base with BASE (default origin/main), committed
   or not: ruff (check, format --check) on Python under orchestration/ and tests/, sqlfluff on SQL under
   models/, the workflow linter on .github/workflows/; the semantic layer's validation (make test-semantic)
   when a file under models/semantic/ changed.
2. With production dbt artifacts (`--state`, a folder holding the production manifest.json) and the production
   warehouse (`--warehouse`): copy the warehouse into OUT (the production file is only read), then
   `dbt build --select state:modified+ --defer --state STATE` on the copy, so only the changed models and what
   depends on them are built and tested, unchanged parents read from the copy.
3. Write OUT/kpi_impact.md: the changed and new models, and for every public mart that was rebuilt its row
   count before -> after; for mart_kpi_monthly each KPI by month, before -> after, unchanged cells left out.

Without production state the build and the diff are skipped with a line saying so (lint still runs).
`cs-warehouse pr-check [--base REF] [--state DIR] [--warehouse FILE] [--out DIR] [--project-dir DIR]`;
exit 1 when a lint or the build fails.
"""

from __future__ import annotations

import json
import math
import os
import shutil
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

import duckdb

from cs_warehouse.settings import dbt_executable
from cs_warehouse.sqltext import quote_ident

if TYPE_CHECKING:
    import pandas as pd

PUBLIC_MARTS = ("customer_360", "mart_kpi_monthly", "mart_mrr_movements", "mart_churn_by_plan_tenure")
KPI_TABLE = "mart_kpi_monthly"
KEY_EXAMPLES = 5
KPI_KEY_COLUMNS = ("month", "fiscal_year", "fiscal_quarter", "is_complete")


@dataclass
class Report:
    changed_files: list[str] = field(default_factory=list)
    lint: list[tuple[str, bool, str]] = field(default_factory=list)  # (what, passed, output tail)
    notes: list[str] = field(default_factory=list)
    built: list[str] = field(default_factory=list)  # model names dbt built
    new_models: list[str] = field(default_factory=list)
    build_ok: bool | None = None
    build_tail: str = ""
    tables: list[str] = field(default_factory=list)  # markdown lines of the table diffs
    metrics: list[str] = field(default_factory=list)  # markdown lines of the metric diffs

    @property
    def ok(self) -> bool:
        return all(passed for _, passed, _ in self.lint) and self.build_ok is not False


def _git(project: Path, *args: str) -> str:
    done = subprocess.run(["git", *args], cwd=project, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise SystemExit(f"pr-check: git {' '.join(args)} failed: {done.stderr.strip()}")
    return done.stdout


def changed_files(project: Path, base: str) -> list[str]:
    """Files changed between the merge base with `base` and the working tree (deleted files left out)."""
    merge_base = _git(project, "merge-base", base, "HEAD").strip()
    tracked = _git(project, "diff", "--name-only", "--diff-filter=ACMR", merge_base).split()
    untracked = _git(project, "ls-files", "--others", "--exclude-standard").split()
    return sorted(set(tracked) | set(untracked))


def _run(command: list[str], project: Path, env: dict[str, str] | None = None) -> tuple[bool, str]:
    done = subprocess.run(command, cwd=project, env=env, capture_output=True, text=True, check=False)
    tail = "\n".join((done.stdout + done.stderr).strip().splitlines()[-30:])
    return done.returncode == 0, tail


def lint(project: Path, files: list[str]) -> list[tuple[str, bool, str]]:
    bin_dir = Path(sys.executable).parent
    python = [f for f in files if f.endswith(".py") and f.startswith(("orchestration/", "tests/"))]
    sql = [f for f in files if f.endswith(".sql") and f.startswith("models/")]
    workflows = [f for f in files if f.startswith(".github/workflows/") and f.endswith((".yml", ".yaml"))]
    results = []
    if python:
        results.append(("ruff check", *_run([str(bin_dir / "ruff"), "check", *python], project)))
        results.append(("ruff format --check", *_run([str(bin_dir / "ruff"), "format", "--check", *python], project)))
    if sql:
        env = {**os.environ, "CSW_DBT_TARGET": "lint", "DBT_PROFILES_DIR": str(project)}
        results.append(("sqlfluff lint", *_run([str(bin_dir / "sqlfluff"), "lint", *sql], project, env=env)))
    if workflows:
        results.append(("workflow lint", *_run([str(project / "scripts" / "lint_workflows.sh"), *workflows], project)))
    if any(f.startswith("models/semantic/") for f in files):
        from cs_warehouse.tooling.semantic_check import validate

        errors, metrics = validate(project)
        results.append(("semantic layer validation", not errors, "\n".join(errors) or f"{metrics} metrics valid"))
    return results


def build_modified(project: Path, state: Path, warehouse_copy: Path, target: Path) -> tuple[bool, str, list[str]]:
    """`dbt build --select state:modified+ --defer --state` on the copy; returns success, the output's tail and
    the models built."""
    env = {
        **os.environ,
        "CSW_DUCKDB_PATH": str(warehouse_copy),
        "DBT_TARGET_PATH": str(target),
        "DBT_LOG_PATH": str(target / "logs"),
        "DBT_PROFILES_DIR": str(project),
    }
    env.pop("CSW_DBT_TARGET", None)
    command = [dbt_executable(), "build", "--select", "state:modified+", "--defer", "--state", str(state)]
    if os.environ.get("CSW_AS_OF_DATE"):
        command += ["--vars", json.dumps({"as_of_date": os.environ["CSW_AS_OF_DATE"]})]
    passed, tail = _run(command, project, env=env)
    results_file = target / "run_results.json"
    built = []
    if results_file.exists():
        for result in json.loads(results_file.read_text(encoding="utf-8"))["results"]:
            if result["unique_id"].startswith("model."):
                built.append(result["unique_id"].split(".")[-1])
    return passed, tail, sorted(built)


def model_names(manifest: Path) -> set[str]:
    nodes = json.loads(manifest.read_text(encoding="utf-8")).get("nodes", {})
    return {node["name"] for node in nodes.values() if node.get("resource_type") == "model"}


def _table(con: duckdb.DuckDBPyConnection, catalog: str, name: str):
    found = con.execute(
        "select 1 from information_schema.tables where table_catalog = ? and table_schema = 'marts' and table_name = ?",
        [catalog, name],
    ).fetchone()
    return f'"{catalog}".marts."{name}"' if found else None


def _same(before: object, after: object) -> bool:
    if before is None or after is None:
        return before is None and after is None
    if isinstance(before, float) or isinstance(after, float):
        return math.isclose(float(before), float(after), rel_tol=1e-12, abs_tol=1e-12)
    return before == after


def _cell(value: object) -> str:
    if value is None:
        return "∅"
    if isinstance(value, float):
        return f"{value:.6g}"
    return str(value)


def kpi_cell_changes(con: duckdb.DuckDBPyConnection, before: str, after: str) -> list[tuple[str, str, str, str]]:
    """(month, kpi, before, after) for every KPI cell of mart_kpi_monthly that differs; the cells of a month added
    or removed stand against ∅ (empty on both sides: left out)."""
    columns = [row[0] for row in con.execute(f"describe {after}").fetchall()]
    old_names = [row[0] for row in con.execute(f"describe {before}").fetchall() if row[0] != "month"]
    old_columns = set(old_names)
    kpis = [c for c in columns if c not in KPI_KEY_COLUMNS]
    old = {row[0]: row[1:] for row in con.execute(f"select month, * exclude (month) from {before}").fetchall()}
    new = {row[0]: row[1:] for row in con.execute(f"select month, * exclude (month) from {after}").fetchall()}
    new_names = [c for c in columns if c != "month"]
    changes = []
    for month in sorted(set(old) | set(new)):
        old_row = dict(zip(old_names, old.get(month, ()), strict=False))
        new_row = dict(zip(new_names, new.get(month, ()), strict=False))
        for kpi in kpis:
            was = old_row.get(kpi) if kpi in old_columns else None
            now = new_row.get(kpi)
            if month in old and month in new and kpi in old_columns and _same(was, now):
                continue
            if was is None and now is None:  # empty before and after (a month added or removed with no value)
                continue
            changes.append((str(month), kpi, _cell(was), _cell(now)))
    return changes


def mart_keys(manifest: Path) -> dict[str, list[str]]:
    """Each model's key columns, from its `unique` or `unique_combination` data test in the manifest."""
    keys: dict[str, list[str]] = {}
    if not manifest.is_file():
        return keys
    for node in json.loads(manifest.read_text(encoding="utf-8"))["nodes"].values():
        meta = node.get("test_metadata") or {}
        attached = node.get("attached_node") or ""
        if node["resource_type"] != "test" or not attached.startswith("model."):
            continue
        if meta.get("name") == "unique":
            keys[attached.rsplit(".", 1)[-1]] = [meta["kwargs"]["column_name"]]
        elif meta.get("name") == "unique_combination":
            keys[attached.rsplit(".", 1)[-1]] = list(meta["kwargs"]["columns"])
    return keys


def key_changes(con: duckdb.DuckDBPyConnection, before: str, after: str, columns: list[str]) -> str:
    """One line: how many keys the change added and removed, with up to KEY_EXAMPLES of each."""
    cols = ", ".join(quote_ident(c) for c in columns)

    def side(a: str, b: str) -> tuple[int, list[str]]:
        query = f"select {cols} from {a} except select {cols} from {b}"
        count = con.execute(f"select count(*) from ({query})").fetchall()[0][0]
        rows = con.execute(f"{query} order by all limit {KEY_EXAMPLES}").fetchall()
        return count, ["/".join(_cell(v) for v in row) for row in rows]

    (n_added, added), (n_removed, removed) = side(after, before), side(before, after)

    def text(n: int, examples: list[str], verb: str) -> str:
        if not n:
            return f"none {verb}"
        more = ", …" if n > len(examples) else ""
        return f"{n} {verb} ({', '.join(f'`{e}`' for e in examples)}{more})"

    return f"  - keys `{'/'.join(columns)}`: {text(n_added, added, 'added')}, {text(n_removed, removed, 'removed')}"


def _metric_definitions(semantic_manifest: Path) -> tuple[dict[str, dict], dict[str, str], dict[str, str]]:
    """(metric name -> definition without its file position, measure -> semantic model, semantic model -> its
    definition as JSON) of one semantic manifest."""
    body = json.loads(semantic_manifest.read_text(encoding="utf-8"))
    metrics = {m["name"]: {k: v for k, v in m.items() if k != "metadata"} for m in body.get("metrics", [])}
    measure_models, models = {}, {}
    for model in body.get("semantic_models", []):
        models[model["name"]] = json.dumps({k: v for k, v in model.items() if k != "metadata"}, sort_keys=True)
        for measure in model.get("measures", []):
            measure_models[measure["name"]] = model["name"]
    return metrics, measure_models, models


def affected_metrics(production: Path, candidate: Path, built: list[str]) -> list[str]:
    """Metrics whose numbers a change can move: a new or changed definition, a changed semantic model it reads,
    or a rebuilt model under one (semantic manifests of production and of the pull request)."""
    before, _, models_before = _metric_definitions(production)
    after, measure_models, models_after = _metric_definitions(candidate)
    body = json.loads(candidate.read_text(encoding="utf-8"))
    relation = {m["name"]: m["node_relation"]["alias"] for m in body.get("semantic_models", [])}
    affected = []
    for name, definition in sorted(after.items()):
        measures = [m["name"] for m in (definition.get("type_params") or {}).get("input_measures") or []]
        sources = {measure_models[m] for m in measures if m in measure_models}
        if (
            before.get(name) != definition
            or any(models_before.get(src) != models_after.get(src) for src in sources)
            or any(relation.get(src) in built for src in sources)
        ):
            affected.append(name)
    return affected


def metric_cell_changes(before: pd.DataFrame | None, after: pd.DataFrame, metric: str) -> list[tuple[str, str, str]]:
    """(month, before, after) for each month whose value of `metric` differs (∅ where a side has none)."""
    time = next(c for c in after.columns if c != metric)
    old = {} if before is None else {str(t)[:10]: v for t, v in zip(before[time], before[metric], strict=True)}
    new = {str(t)[:10]: v for t, v in zip(after[time], after[metric], strict=True)}
    changes = []
    for month in sorted(set(old) | set(new)):
        was, now = _none_if_nan(old.get(month)), _none_if_nan(new.get(month))
        if not _same(was, now):
            changes.append((month, _cell(was), _cell(now)))
    return changes


def _none_if_nan(value: object) -> object:
    return None if value is None or (isinstance(value, float) and math.isnan(value)) else value


def metric_diffs(state: Path, target: Path, production: Path, candidate: Path, built: list[str]) -> list[str]:
    """Markdown lines: each affected metric by month, before -> after, unchanged months left out."""
    from cs_warehouse.semantic_query import SemanticLayer

    before_manifest, after_manifest = state / "semantic_manifest.json", target / "semantic_manifest.json"
    if not after_manifest.is_file():
        return []
    if not before_manifest.is_file():
        return [f"- metrics: no semantic_manifest.json in the production state {state}: not compared"]
    metrics = affected_metrics(before_manifest, after_manifest, built)
    if not metrics:
        return []
    old_layer, new_layer = SemanticLayer(before_manifest, production), SemanticLayer(after_manifest, candidate)
    old_names = set(_metric_definitions(before_manifest)[0])
    lines, rows = [f"- metrics re-queried by month: {', '.join(f'`{m}`' for m in metrics)}"], []
    for metric in metrics:
        # by month, or by the one grain a grain-limited metric answers at (config.meta.grains)
        grain = (new_layer.grain_limited.get(metric) or {"grains": ["month"]})["grains"][0]
        time = [f"metric_time__{grain}"]
        try:
            after = new_layer.query([metric], time, order_by=time)
            before = None
            if metric in old_names:
                before = old_layer.query([metric], time, order_by=time)
        except Exception as error:  # a metric that cannot be asked by its grain is named, not fatal
            lines.append(f"  - `{metric}`: not queried by {grain} ({type(error).__name__}: {str(error)[:200]})")
            continue
        changes = metric_cell_changes(before, after, metric)
        rows += [f"| `{metric}` | {p}{'' if grain == 'month' else f' ({grain})'} | {b} | {a} |" for p, b, a in changes]
    if rows:
        lines += ["", "| metric | period | before | after |", "|---|---|---|---|", *rows, ""]
    else:
        lines.append("  - no metric value changed")
    return lines


def table_diffs(
    production: Path, candidate: Path, built: list[str], keys: dict[str, list[str]] | None = None
) -> list[str]:
    """Markdown lines: columns, row counts and keys added or removed of the rebuilt public marts (`keys`: each
    mart's key columns), and the KPI cells that moved."""
    lines: list[str] = []
    con = duckdb.connect()
    try:
        con.execute(f"attach '{production.as_posix()}' as prod (read_only)")
        con.execute(f"attach '{candidate.as_posix()}' as pr (read_only)")
        for name in [m for m in PUBLIC_MARTS if m in built]:
            before, after = _table(con, "prod", name), _table(con, "pr", name)
            if before is None or after is None:
                lines.append(f"- `{name}`: {'new' if before is None else 'removed'} table")
                continue
            old_cols = [r[0] for r in con.execute(f"describe {before}").fetchall()]
            new_cols = [r[0] for r in con.execute(f"describe {after}").fetchall()]
            if old_cols != new_cols:
                added = sorted(set(new_cols) - set(old_cols))
                removed = sorted(set(old_cols) - set(new_cols))
                lines.insert(
                    0,
                    f"> **Public table columns changed** (the BI contract): `{name}` added {added or 'none'}, "
                    f"removed {removed or 'none'}.",
                )
            n_before = con.execute(f"select count(*) from {before}").fetchone()[0]
            n_after = con.execute(f"select count(*) from {after}").fetchone()[0]
            lines.append(f"- `{name}`: {n_before} -> {n_after} rows")
            key_columns = (keys or {}).get(name)
            if key_columns and set(key_columns) <= set(old_cols) & set(new_cols):
                lines.append(key_changes(con, before, after, key_columns))
            if name == KPI_TABLE:
                changes = kpi_cell_changes(con, before, after)
                if changes:
                    lines += ["", "| month | KPI | before | after |", "|---|---|---|---|"]
                    lines += [f"| {m} | `{k}` | {b} | {a} |" for m, k, b, a in changes]
                    lines.append("")
                else:
                    lines.append(f"  - no KPI cell of `{KPI_TABLE}` changed")
    finally:
        con.close()
    return lines


def render(report: Report, base: str) -> str:
    out = [f"## KPI impact (against `{base}`)", ""]
    contract = [line for line in report.tables if line.startswith("> ")]
    out += contract + ([""] if contract else [])
    out.append(f"Changed files: {len(report.changed_files)}.")
    for what, passed, tail in report.lint:
        out.append(f"- {what}: {'passed' if passed else 'FAILED'}")
        if not passed:
            out += ["", "```", tail, "```", ""]
    out += [f"- {note}" for note in report.notes]
    if report.build_ok is not None:
        out.append(f"- dbt build state:modified+: {'passed' if report.build_ok else 'FAILED'}")
        if not report.build_ok:
            out += ["", "```", report.build_tail, "```", ""]
        out.append(f"- models built: {', '.join(f'`{m}`' for m in report.built) or 'none'}")
        if report.new_models:
            out.append(f"- new models: {', '.join(f'`{m}`' for m in report.new_models)}")
    body = [line for line in report.tables if not line.startswith("> ")]
    if body:
        out += ["", "### Public marts", "", *body]
    if report.metrics:
        out += ["", "### Metrics", "", *report.metrics]
    return "\n".join(out).rstrip() + "\n"


def check(base: str, state: Path | None, warehouse: Path | None, out: Path, project_dir: Path) -> int:
    """`cs-warehouse pr-check` (make pr-check): the report on stdout and in OUT/kpi_impact.md; exit code 1
    when a check failed."""
    project = project_dir.resolve()
    report = Report(changed_files=changed_files(project, base))
    report.lint = lint(project, report.changed_files)
    out = out.resolve()
    out.mkdir(parents=True, exist_ok=True)
    if state is None or not (state / "manifest.json").is_file():
        report.notes.append(f"no production state (manifest.json in {state}): build and KPI diff skipped")
    elif warehouse is None or not warehouse.is_file():
        report.notes.append(f"no production warehouse ({warehouse}): build and KPI diff skipped")
    else:
        # the copy keeps the production file's name: DuckDB names its catalog after it, and the deferred
        # relations of the production manifest carry that catalog
        copy_dir = out / "warehouse"
        shutil.rmtree(copy_dir, ignore_errors=True)
        copy_dir.mkdir(parents=True)
        candidate = Path(shutil.copy2(warehouse, copy_dir / warehouse.name))
        target = out / "target"
        report.build_ok, report.build_tail, report.built = build_modified(project, state.resolve(), candidate, target)
        if (target / "manifest.json").exists():
            report.new_models = sorted(model_names(target / "manifest.json") - model_names(state / "manifest.json"))
        report.tables = table_diffs(warehouse, candidate, report.built, mart_keys(target / "manifest.json"))
        report.metrics = metric_diffs(state, target, warehouse, candidate, report.built)
    text = render(report, base)
    (out / "kpi_impact.md").write_text(text, encoding="utf-8")
    print(text)
    return 0 if report.ok else 1
