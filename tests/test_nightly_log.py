"""The CLI's in-process nightly logs everything into its file and prints only stages and failed steps."""

from __future__ import annotations

import contextlib
import io
import re
import uuid
from pathlib import Path

import dagster as dg

from cs_warehouse.nightly_log import log_path, nightly_loggers


@dg.asset
def ingest_exports(context) -> int:
    context.log.info("read 3 files")
    return 1


@dg.asset
def raw__product_events(ingest_exports: int) -> int:
    return ingest_exports + 1


@dg.asset
def publish_gate_exports(raw__product_events: int) -> int:
    return raw__product_events


@dg.asset
def dbt_models(publish_gate_exports: int) -> int:
    print("1 of 2 START sql table model marts.m")  # dagster-dbt writes dbt's output to stdout
    raise ValueError("model broke")


def test_the_log_file_holds_the_whole_run_and_the_terminal_a_line_per_stage_and_failure(tmp_path: Path) -> None:
    assets = [ingest_exports, raw__product_events, publish_gate_exports, dbt_models]
    defs = dg.Definitions(assets=assets, jobs=[dg.define_asset_job("nightly")])
    run_id = str(uuid.uuid4())
    path = log_path(tmp_path / "warehouse" / "cs_warehouse.duckdb", run_id)
    terminal = io.StringIO()
    with (
        nightly_loggers(path, run_id, terminal) as setup,
        dg.DagsterInstance.ephemeral() as instance,
        contextlib.redirect_stdout(setup["file"]),
    ):
        result = (
            defs.resolve_job_def("nightly")
            .with_logger_defs(setup["logger_defs"])
            .execute_in_process(run_config=setup["run_config"], instance=instance, run_id=run_id, raise_on_error=False)
        )

    assert not result.success
    assert path == tmp_path / "warehouse" / "logs" / f"nightly-{run_id}.log"
    # two steps of ingestion make one line, a step of no named stage is named, the failed step one more line
    lines = terminal.getvalue().splitlines()
    assert [re.sub(r"^\s+\d+s\s+", "", line) for line in lines] == [
        "ingestion",
        "publish_gate_exports",
        "dbt",
        "dbt_models failed",
    ]
    text = path.read_text(encoding="utf-8")
    assert "read 3 files" in text
    assert "1 of 2 START sql table model marts.m" in text
    assert "model broke" in text
    for step in ("ingest_exports", "raw__product_events", "publish_gate_exports", "dbt_models"):
        assert re.search(rf"DEBUG .* - {step} - STEP_START", text), step
    assert run_id in text
