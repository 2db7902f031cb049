"""Every failure of a night is recorded once, clearly: last_failure.json with the root cause, a notification,
one line on stderr; one night at a time per warehouse; nothing left behind by a killed run."""

from __future__ import annotations

import errno
import json
import logging
import os
import socket
import subprocess
import sys
import threading
import time
import uuid
from http.server import BaseHTTPRequestHandler, HTTPServer
from pathlib import Path

import dagster as dg
import duckdb
import pytest

from cs_warehouse import publish
from cs_warehouse.cli import main, start_up
from cs_warehouse.publish import publish_serving_copy, record_failed_night, reserve_failure_record_space
from cs_warehouse.runlock import LOCK_HELD_EXIT_CODE, LockHeldError, lock_path, read_holder, warehouse_lock
from cs_warehouse.runs import HOST_TAG, LOCK_TAG, PID_TAG, root_cause_of_error_info, run_failure
from tests.conftest import warehouse_resources
from tests.landing_factory import write_minimal_landing

WEBHOOK_SECRET_PATH = "/services/T0000/B0000/s3cr3tT0ken"


@pytest.fixture
def env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Every path of the warehouse in tmp_path, and an empty Dagster home there."""
    monkeypatch.setenv("CSW_LANDING_DIR", str(tmp_path / "landing"))
    monkeypatch.setenv("CSW_DUCKDB_PATH", str(tmp_path / "warehouse.duckdb"))
    monkeypatch.setenv("CSW_SERVING_PATH", str(tmp_path / "serving" / "cs_marts.duckdb"))
    monkeypatch.setenv("CSW_REPORTS_DIR", str(tmp_path / "reports"))
    monkeypatch.setenv("DAGSTER_HOME", str(tmp_path / "dagster_home"))
    monkeypatch.delenv("CSW_NOTIFY_WEBHOOK_URL", raising=False)
    monkeypatch.delenv("CSW_LOCK_TIMEOUT_SECONDS", raising=False)
    (tmp_path / "dagster_home").mkdir()
    return tmp_path


def failure_record(env: Path) -> dict:
    return json.loads((env / "serving" / "last_failure.json").read_text(encoding="utf-8"))


class Receiver:
    """A webhook on 127.0.0.1 that keeps what it was sent."""

    def __init__(self, status: int = 200):
        received = self.received = []

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers["Content-Length"]))
                received.append((self.path, json.loads(body)))
                self.send_response(status)
                self.end_headers()

            def log_message(self, *args) -> None:
                pass

        self.server = HTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_port}{WEBHOOK_SECRET_PATH}?token=qu3ryS3cret"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self) -> Receiver:
        self.thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.server.shutdown()
        self.server.server_close()


def test_a_bad_day_folder_is_recorded_with_its_root_cause_and_notified(
    env: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture, capsys: pytest.CaptureFixture
) -> None:
    landing = write_minimal_landing(env / "landing")
    bad_day = landing / "product_events" / "dt=2024-02-30"
    bad_day.mkdir()
    (landing / "product_events" / "dt=2024-03-02" / "part-0.parquet").rename(bad_day / "part-0.parquet")
    caplog.set_level(logging.INFO)
    with Receiver() as hook:
        monkeypatch.setenv("CSW_NOTIFY_WEBHOOK_URL", hook.url)
        code = main(["nightly"])
    err = capsys.readouterr().err

    assert code == 1
    record = failure_record(env)
    assert record["status"] == "not published" and record["stage"] == "partition discovery"
    assert record["command"] == "nightly"
    cause = record["root_cause"]
    # The record names the folder and the rule it breaks.
    assert cause["type"] == "PartitionFolderError"
    assert cause["path"].endswith("product_events/dt=2024-02-30")
    assert cause["rule"] == "partition_folder"
    assert len(record["reasons"]) == 1
    assert record["reasons"][0].startswith(f"partition discovery failed: {cause['type']}: {cause['message']}")
    # One clear line on stderr, naming the same cause.
    lines = [line for line in err.splitlines() if line.startswith("cs_warehouse:")]
    assert len(lines) == 1 and cause["message"] in lines[0]
    assert len(hook.received) == 1
    path, payload = hook.received[0]
    assert path.startswith(WEBHOOK_SECRET_PATH)
    assert payload["reasons"] == record["reasons"]
    logged = caplog.text + err + capsys.readouterr().out
    assert "nightly build failed" in caplog.text
    assert "s3cr3tT0ken" not in logged and "qu3ryS3cret" not in logged


def test_an_error_in_partition_discovery_records_the_innermost_error_and_its_file_row_and_rule(
    env: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture
) -> None:
    class BadRow(Exception):
        def __init__(self) -> None:
            super().__init__("events/dt=2024-03-02/part-0.parquet: timestamp is not a date")
            self.path, self.line, self.rule = "events/dt=2024-03-02/part-0.parquet", 17, "timestamp_is_date"

    def discovery(*args) -> list:
        try:
            raise BadRow()
        except BadRow as exc:
            raise RuntimeError("while listing event days") from exc

    write_minimal_landing(env / "landing")
    monkeypatch.setattr("cs_warehouse.runs.pending_event_days", discovery)
    assert main(["nightly"]) == 1
    assert failure_record(env)["root_cause"] == {
        "type": "BadRow",
        "message": "events/dt=2024-03-02/part-0.parquet: timestamp is not a date",
        "path": "events/dt=2024-03-02/part-0.parquet",
        "line": 17,
        "rule": "timestamp_is_date",
    }
    assert "BadRow: events/dt=2024-03-02/part-0.parquet: timestamp is not a date" in capsys.readouterr().err


def test_an_argument_error_is_recorded(env: Path, capsys: pytest.CaptureFixture) -> None:
    assert main(["backfill", "--from", "2024-03-05"]) == 2
    record = failure_record(env)
    assert record["stage"] == "arguments" and record["command"] == "backfill --from 2024-03-05"
    assert record["root_cause"]["type"] == "UsageError"
    assert record["root_cause"]["message"] == "cs-warehouse backfill: Missing option '--to'."
    assert "Missing option '--to'" in capsys.readouterr().err

    assert main(["backfill", "--from", "2024-13-01", "--to", "2024-03-01"]) == 2
    assert failure_record(env)["root_cause"] == {
        "type": "UsageError",
        "message": "cs-warehouse backfill: Invalid value for '--from': '2024-13-01' is not a date (YYYY-MM-DD)",
    }
    assert main(["backfill", "--from", "2024-03-05", "--to", "2024-03-01"]) == 2
    assert (
        failure_record(env)["root_cause"]["message"]
        == "cs-warehouse backfill: --from 2024-03-05 is after --to 2024-03-01"
    )

    assert main(["fingerprint"]) == 2  # not a night: said on stderr, not recorded
    assert "Missing argument 'WAREHOUSE'" in capsys.readouterr().err
    assert failure_record(env)["command"] == "backfill --from 2024-03-05 --to 2024-03-01"


def test_the_root_cause_of_a_nested_dagster_failure_is_the_innermost_error(tmp_path: Path) -> None:
    from dagster._utils.error import SerializableErrorInfo

    inner = SerializableErrorInfo("KeyError: 'Segment__c'\n", [], "KeyError")
    middle = SerializableErrorInfo("ValueError: column lookup failed\n", [], "ValueError", context=inner)
    outer = SerializableErrorInfo(
        'dagster._core.errors.DagsterExecutionStepExecutionError: Error occurred while executing op "gx_raw":\n',
        [],
        "DagsterExecutionStepExecutionError",
        cause=middle,
    )
    cause = root_cause_of_error_info(outer)
    assert (cause.type, cause.message) == ("KeyError", "'Segment__c'")
    qualified = SerializableErrorInfo(
        "dagster._core.errors.DagsterAssetCheckFailedError: 2 blocking asset checks failed\n",
        [],
        "DagsterAssetCheckFailedError",
    )
    assert root_cause_of_error_info(qualified).message == "2 blocking asset checks failed"

    @dg.op
    def gx_raw() -> None:
        try:
            raise OSError("the warehouse file vanished")
        except OSError as exc:
            raise RuntimeError("validation could not start") from exc

    @dg.op(retry_policy=dg.RetryPolicy(max_retries=1))
    def dbt_build() -> None:
        raise TimeoutError("database is locked")

    @dg.job
    def night() -> None:
        gx_raw()
        dbt_build()

    with dg.instance_for_test(temp_dir=str(tmp_path)) as instance:
        result = night.execute_in_process(instance=instance, raise_on_error=False)
        reasons, root = run_failure(result.run_id, instance)
    # The retried step's own failure is "Exceeded max_retries of 1"; its root cause is what is reported.
    assert sorted(reasons) == [
        "step dbt_build failed: TimeoutError: database is locked",
        "step gx_raw failed: OSError: the warehouse file vanished",
    ]
    assert root is not None and root.as_dict() in (
        {"type": "OSError", "message": "the warehouse file vanished"},
        {"type": "TimeoutError", "message": "database is locked"},
    )


def test_a_renamed_csv_header_fails_once_without_retry_and_records_its_message(env: Path) -> None:
    from cs_warehouse.defs.ingestion import ingest_exports

    landing = write_minimal_landing(env / "landing")
    accounts = landing / "accounts.csv"
    accounts.write_text(accounts.read_text(encoding="utf-8").replace("Segment__c", "Segment"), encoding="utf-8")
    started = time.monotonic()
    with dg.instance_for_test(temp_dir=str(env / "dagster_home")) as instance:
        result = dg.materialize(
            [ingest_exports], instance=instance, raise_on_error=False, resources=warehouse_resources()
        )
        events = [e.dagster_event.event_type_value for e in instance.all_logs(result.run_id) if e.dagster_event]
        reasons, root = run_failure(result.run_id, instance)
    assert not result.success
    assert events.count("STEP_FAILURE") == 1 and "STEP_UP_FOR_RETRY" not in events
    assert time.monotonic() - started < 10  # the retry policy waits 10 s before a retry
    assert root is not None
    assert root.type == "UnreadableFileError" and root.path == str(accounts)
    assert root.message == f"{accounts}: missing required header(s) ['Segment__c'] for entity accounts"
    assert reasons == [f"step ingest_exports failed: UnreadableFileError: {root.message}"]


def test_a_second_run_is_refused_while_the_first_holds_the_lock_and_waits_when_told(
    env: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture
) -> None:
    warehouse = env / "warehouse.duckdb"
    holder = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import sys; from pathlib import Path; from cs_warehouse.runlock import warehouse_lock\n"
            f"with warehouse_lock(Path({str(warehouse)!r}), 'cs_warehouse nightly (first)'):\n"
            "    print('held', flush=True); sys.stdin.read()",
        ],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
        env=os.environ.copy(),
    )
    try:
        assert holder.stdout.readline().strip() == "held"
        assert main(["nightly"]) == LOCK_HELD_EXIT_CODE
        err = capsys.readouterr().err
        assert f"pid {holder.pid}" in err and "cs_warehouse nightly (first)" in err
        assert not (env / "serving" / "last_failure.json").exists()  # the first run's files are its own
        assert not (env / "reports").exists()

        with pytest.raises(LockHeldError), warehouse_lock(warehouse, "second", timeout_seconds=0.5, poll_seconds=0.05):
            pass
        threading.Timer(0.5, holder.stdin.close).start()
        started = time.monotonic()
        with warehouse_lock(warehouse, "second", timeout_seconds=20, poll_seconds=0.05):
            waited = time.monotonic() - started
            assert read_holder(lock_path(warehouse))["command"] == "second"
        assert 0.4 < waited < 20
    finally:
        holder.kill()
        holder.wait()


def test_a_run_killed_midway_is_marked_failed_at_the_next_start(env: Path) -> None:
    from cs_warehouse.settings import Settings

    settings = Settings.from_env()
    lock = lock_path(settings.warehouse_path)
    other_lock = env / "other" / "warehouse.duckdb.lock"
    with dg.DagsterInstance.get() as instance:
        for run_id, lock_tag in (("killed-run", lock), ("other-warehouse", other_lock)):
            tags = {PID_TAG: "999999999", HOST_TAG: socket.gethostname(), LOCK_TAG: str(lock_tag)}
            instance.add_run(
                dg.DagsterRun(job_name="nightly_build", run_id=run_id, status=dg.DagsterRunStatus.STARTED, tags=tags)
            )
    with warehouse_lock(settings.warehouse_path, "nightly") as held:
        assert start_up(settings, held, "nightly") == ["killed-run"]
    with dg.DagsterInstance.get() as instance:
        assert instance.get_run_by_id("killed-run").status == dg.DagsterRunStatus.FAILURE
        assert instance.get_run_by_id("other-warehouse").status == dg.DagsterRunStatus.STARTED
    record = failure_record(env)
    assert record["run_id"] == "killed-run" and record["stage"] == "killed"
    assert record["reasons"] == ["run killed-run never finished (its process was killed); marked failed"]


def test_temp_files_left_by_a_killed_publish_are_removed(tmp_path: Path) -> None:
    serving = tmp_path / "serving" / "cs_marts.duckdb"
    serving.parent.mkdir()
    gone = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True)
    dead_pid = int(gone.stdout)
    stale = [
        serving.parent / f".cs_marts.duckdb.{dead_pid}.{uuid.uuid4().hex}.tmp",
        serving.parent / f".cs_marts.duckdb.{dead_pid}.{uuid.uuid4().hex}.tmp.wal",
        serving.parent / f".cs_marts.duckdb.{uuid.uuid4().hex}.tmp",  # no pid in the name
        serving.parent / f".publish_status.json.{dead_pid}.{uuid.uuid4().hex}.tmp",
    ]
    live = serving.parent / f".cs_marts.duckdb.{os.getpid()}.{uuid.uuid4().hex}.tmp"  # a publish under way
    unrelated = serving.parent / "notes.tmp"
    for path in [*stale, live, unrelated]:
        path.write_bytes(b"x")
    with duckdb.connect(str(tmp_path / "wh.duckdb")) as con:
        con.execute("create schema marts; create table marts.a as select 1 as n")

    publish_serving_copy(tmp_path / "wh.duckdb", serving)

    assert sorted(p.name for p in serving.parent.iterdir()) == sorted(
        [live.name, unrelated.name, "cs_marts.duckdb", "publish_status.json"]
    )


def test_the_failure_record_is_written_into_the_reserved_file_when_the_disk_is_full(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    serving = tmp_path / "serving" / "cs_marts.duckdb"
    reserve = reserve_failure_record_space(serving.parent)
    assert reserve.stat().st_size == publish.FAILURE_RESERVE_BYTES

    def disk_full(path: Path, data: bytes) -> None:
        raise OSError(errno.ENOSPC, "No space left on device", str(path))

    monkeypatch.setattr(publish, "_write_new_file", disk_full)
    path = record_failed_night(serving, "run-1", ["step dbt_build failed: IOException: disk full"], stage="run")
    body = json.loads(path.read_text(encoding="utf-8"))
    assert body["run_id"] == "run-1" and body["reasons"] == ["step dbt_build failed: IOException: disk full"]
    assert not reserve.exists()
    assert [p.name for p in serving.parent.iterdir()] == ["last_failure.json"]  # no temp file left either

    # No reserve left and still no space: the error is raised, not swallowed.
    with pytest.raises(OSError) as raised:
        record_failed_night(serving, "run-2", ["again"])
    assert raised.value.errno == errno.ENOSPC
    assert json.loads(path.read_text(encoding="utf-8"))["run_id"] == "run-1"


def test_a_failing_webhook_is_logged_by_its_host_only(caplog: pytest.LogCaptureFixture) -> None:
    from cs_warehouse.notify import notify_failure

    with Receiver(status=500) as hook:
        assert notify_failure("night failed", ["a reason"], hook.url) is False
    assert len(hook.received) == 1
    assert "failure webhook on 127.0.0.1" in caplog.text
    assert "s3cr3tT0ken" not in caplog.text and "qu3ryS3cret" not in caplog.text


def test_the_landing_sensor_records_a_discovery_error_once_per_landing_state(env: Path) -> None:
    from cs_warehouse.defs.jobs import landing_files_sensor

    landing = write_minimal_landing(env / "landing")
    (landing / "product_events" / "dt=2024-02-30").mkdir()
    (landing / "product_events" / "dt=2024-03-02" / "part-0.parquet").rename(
        landing / "product_events" / "dt=2024-02-30" / "part-0.parquet"
    )
    first = landing_files_sensor(dg.build_sensor_context(cursor=None, resources=warehouse_resources()))
    assert isinstance(first, dg.SensorResult) and not first.run_requests
    record_path = env / "serving" / "last_failure.json"
    record = json.loads(record_path.read_text(encoding="utf-8"))
    assert record["stage"] == "partition discovery" and first.skip_reason.skip_message == record["reasons"][0]
    record_path.unlink()
    again = landing_files_sensor(dg.build_sensor_context(cursor=first.cursor, resources=warehouse_resources()))
    assert isinstance(again, dg.SkipReason) and not record_path.exists()
