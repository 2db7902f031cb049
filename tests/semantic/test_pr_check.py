"""`make pr-check` on a pull-request-like change in a copy of the project, against the standard build as production:
a changed definition of an existing KPI (logo_churn_rate doubled) and a new model. The KPI impact diff names the
changed cells, computed here from the production mart, the new model, and nothing else."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import duckdb
import pytest

from cs_warehouse.cli import main as cli_main
from tests.conftest import ROOT, Build

PROJECT_PARTS = ("dbt_project.yml", "profiles.yml", ".sqlfluff", "models", "macros", "seeds", "data-tests")
KPI_MODEL = Path("models/marts/mart_kpi_monthly.sql")
NEW_MODEL = Path("models/intermediate/int_pr_check_probe.sql")


def _git(project: Path, *args: str) -> None:
    subprocess.run(
        ["git", "-c", "user.name=pr-check", "-c", "user.email=pr-check@example.invalid", *args],
        cwd=project,
        check=True,
        capture_output=True,
    )


def _project_copy(dest: Path) -> Path:
    for part in PROJECT_PARTS:
        source = ROOT / part
        if source.is_dir():
            shutil.copytree(source, dest / part, ignore=shutil.ignore_patterns("__pycache__"))
        else:
            (dest / part).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, dest / part)
    _git(dest, "init", "-q", "-b", "main")
    _git(dest, "add", "-A")
    _git(dest, "commit", "-q", "-m", "production")
    return dest


def test_the_kpi_impact_diff_names_the_changed_cells_and_the_new_model(
    standard_build: Build, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    project = _project_copy(tmp_path / "project")
    sql = (project / KPI_MODEL).read_text(encoding="utf-8")
    old = "cast(company.logo_churn_rate as"
    assert sql.count(old) == 1
    (project / KPI_MODEL).write_text(sql.replace(old, "cast(company.logo_churn_rate * 2 as"), encoding="utf-8")
    (project / NEW_MODEL).write_text("select 1 as probe\n", encoding="utf-8")

    state = tmp_path / "state"
    state.mkdir()
    for artifact in ("manifest.json", "semantic_manifest.json"):
        shutil.copy2(standard_build.target / artifact, state / artifact)
    production = standard_build.copy_warehouse(tmp_path / "production")
    with duckdb.connect(str(production), read_only=True) as con:
        rates = con.sql("select month, logo_churn_rate from marts.mart_kpi_monthly order by month").fetchall()
    moved = [(str(month), rate) for month, rate in rates if rate]  # 0 and empty stay as they are when doubled
    assert moved, "the standard dataset has churn"

    monkeypatch.setenv("CSW_AS_OF_DATE", standard_build.as_of)
    out = tmp_path / "out"
    status = cli_main(
        ["pr-check", "--project-dir", str(project), "--base", "main", "--state", str(state),
         "--warehouse", str(production), "--out", str(out)]
    )  # fmt: skip
    diff = (out / "kpi_impact.md").read_text(encoding="utf-8")

    assert status == 0, diff
    cells = [line for line in diff.splitlines() if line.startswith("| 20")]
    assert cells == [f"| {m} | `logo_churn_rate` | {r:.6g} | {2 * r:.6g} |" for m, r in moved]
    assert "- new models: `int_pr_check_probe`" in diff
    assert f"- `mart_kpi_monthly`: {len(rates)} -> {len(rates)} rows" in diff
    assert "  - keys `month`: none added, none removed" in diff
    assert "Public table columns changed" not in diff
    # the metrics over the rebuilt mart were asked again by month; none of them reads the doubled column
    requeried = next(line for line in diff.splitlines() if line.startswith("- metrics re-queried by month:"))
    assert "`ltv_simple`" in requeried and "`logo_churn_rate`" not in requeried
    assert "  - no metric value changed" in diff
    built = next(line for line in diff.splitlines() if line.startswith("- models built:"))
    assert "`mart_kpi_monthly`" in built and "`int_pr_check_probe`" in built
    assert "`mart_mrr_movements`" not in built  # upstream of the change: deferred, not rebuilt
    # production was only read
    with duckdb.connect(str(production), read_only=True) as con:
        assert con.sql("select month, logo_churn_rate from marts.mart_kpi_monthly order by month").fetchall() == rates
