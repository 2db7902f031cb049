"""A clean generated build raises no warning: no dbt test ends `warn`, no Great Expectations warning fails.

So a warning on a real night means something. Runs the quality command on the session's standard build, as
`make test-dbt` does on the same dataset.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from tests.conftest import ROOT, Build


def test_a_clean_generated_build_fails_no_warning(standard_build: Build, tmp_path: Path) -> None:
    env = dict(standard_build.env)
    env.update(
        CSW_AS_OF_DATE=standard_build.as_of,
        CSW_QUALITY_HISTORY_DIR=str(tmp_path / "quality_history"),
        CSW_GX_DOCS_DIR=str(tmp_path / "gx_docs"),
    )
    run_results = standard_build.root / "dbt_build_run_results.json"
    done = subprocess.run(
        [sys.executable, "-m", "cs_warehouse", "quality", "--fail-on-warnings", "--dbt-run-results", str(run_results)],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stdout[-4000:] + done.stderr[-2000:]
    assert "total GX wall time" in done.stdout  # every suite ran
    assert "0 node(s) not passed" in done.stdout
