"""Where an in-process nightly run (the CLI's `run`, `nightly`, `backfill`) logs: Dagster's and dbt's whole
log, dbt's output included, into one file per run, `<warehouse folder>/logs/nightly-<run id>.log`; on the
terminal one line per stage reached (ingestion, dbt, gx_checks, publish, report, delivery) and per failed step,
with the seconds since the start."""

from __future__ import annotations

import logging
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import IO, Any

FILE_LOGGER = "file"
PROGRESS_LOGGER = "progress"
FILE_FORMAT = "%(asctime)s %(levelname)-7s %(message)s"


def stage_of(step_key: str) -> str:
    """The stage a Dagster step belongs to."""
    if step_key in ("ingest_exports", "raw__product_events") or step_key.endswith("rows_reconcile"):
        return "ingestion"
    if step_key == "dbt_models":
        return "dbt"
    if step_key.startswith("gx_"):
        return "gx_checks"
    if step_key.startswith("serving"):
        return "publish"
    if step_key.startswith("reports"):
        return "report"
    if step_key.startswith("delivery"):
        return "delivery"
    return "other"


def log_path(warehouse_path: Path, run_id: str) -> Path:
    return warehouse_path.parent / "logs" / f"nightly-{run_id}.log"


class ProgressHandler(logging.Handler):
    """Prints a line when a step of a new stage starts (a step of no named stage: its key) and when a step
    fails; ignores every other record."""

    def __init__(self, stream: IO[str] | None = None) -> None:
        super().__init__(logging.DEBUG)
        # the terminal as it is now: while the run writes, stdout is redirected into the log file
        self.stream = stream if stream is not None else sys.stdout
        self.started = time.monotonic()
        self.stage: str | None = None

    def emit(self, record: logging.LogRecord) -> None:
        meta: dict[str, Any] = getattr(record, "dagster_meta", None) or {}
        event = meta.get("dagster_event")
        step_key = meta.get("step_key")
        if event is None or not step_key:
            return
        line = None
        # a step outside the named stages (a publish gate before dbt, say) is named by its key
        label = stage_of(step_key) if stage_of(step_key) != "other" else step_key
        if event.event_type_value == "STEP_START" and label != self.stage:
            self.stage = label
            line = label
        elif event.event_type_value == "STEP_FAILURE":
            line = f"{step_key} failed"
        if line is not None:
            print(f"  {time.monotonic() - self.started:6.0f}s  {line}", file=self.stream, flush=True)


def _python_logger(name: str, handler: logging.Handler) -> logging.Logger:
    logger = logging.getLogger(name)
    logger.setLevel(logging.DEBUG)
    logger.propagate = False
    logger.handlers = [handler]
    return logger


@contextmanager
def nightly_loggers(path: Path, run_id: str, stream: IO[str] | None = None) -> Iterator[dict[str, Any]]:
    """The job's logger definitions (`JobDefinition.with_logger_defs`) and the run config that selects them,
    in place of Dagster's console logger, and `file`, the log file's stream: redirect stdout into it while
    the run executes (dagster-dbt writes dbt's output to stdout). The file is closed on leaving."""
    import dagster as dg

    path.parent.mkdir(parents=True, exist_ok=True)
    file = open(path, "a", encoding="utf-8", buffering=1)  # noqa: SIM115  (closed in the finally below)
    file_handler = logging.StreamHandler(file)
    file_handler.setFormatter(logging.Formatter(FILE_FORMAT))
    progress = ProgressHandler(stream)

    @dg.logger(description="The run's whole log, into its file")
    def file_logger(_init_context) -> logging.Logger:
        return _python_logger(f"cs_warehouse.nightly.file.{run_id}", file_handler)

    @dg.logger(description="A line per stage reached and per failed step, on the terminal")
    def progress_logger(_init_context) -> logging.Logger:
        return _python_logger(f"cs_warehouse.nightly.progress.{run_id}", progress)

    try:
        yield {
            "logger_defs": {FILE_LOGGER: file_logger, PROGRESS_LOGGER: progress_logger},
            "run_config": {"loggers": {FILE_LOGGER: {}, PROGRESS_LOGGER: {}}},
            "file": file,
        }
    finally:
        file_handler.close()
        file.close()
        for name in ("file", "progress"):
            logging.getLogger(f"cs_warehouse.nightly.{name}.{run_id}").handlers = []
