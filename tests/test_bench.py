"""The benchmark harness's own pieces: sizes, stage names, and the measured subprocess."""

import sys

import pytest

from cs_warehouse.bench.cli import parse_repeats, parse_size
from cs_warehouse.bench.nightly import stage_of
from cs_warehouse.bench.proc import run_measured


def test_sizes_read_as_event_counts():
    assert parse_size("1M") == 1_000_000
    assert parse_size("100k") == 100_000
    assert parse_size("2.5M") == 2_500_000
    assert parse_size("5000") == 5000


def test_repeats_per_size():
    assert parse_repeats("3", 3) == [3, 3, 3]
    assert parse_repeats("3,3,1", 3) == [3, 3, 1]
    for bad in ("3,1", "0", "2,0,1"):
        with pytest.raises(ValueError, match="--repeats"):
            parse_repeats(bad, 3)


def test_steps_map_to_stages():
    assert stage_of("raw__product_events") == "ingestion"
    assert stage_of("raw__accounts_rows_reconcile") == "ingestion"
    assert stage_of("dbt_models") == "dbt"
    assert stage_of("gx_marts__mart_kpi_monthly") == "gx_checks"
    assert stage_of("serving__marts") == "publish"
    assert stage_of("reports__kpi_report") == "report"


def test_measured_command_reports_memory_of_its_children(tmp_path):
    # the child allocates ~200 MiB in a grandchild: the peak must see it, the parent process alone would not
    code = "import subprocess, sys; subprocess.run([sys.executable, '-c', 'b = b\"x\" * (200 << 20)'])"
    result = run_measured([sys.executable, "-c", code], {}, tmp_path / "log.txt", tmp_path)
    assert result.ok
    assert result.max_rss_single_mib > 190


def test_command_over_the_memory_budget_is_stopped(tmp_path):
    code = "import time; b = b'x' * (300 << 20); time.sleep(30)"
    result = run_measured([sys.executable, "-c", code], {}, tmp_path / "log.txt", tmp_path, memory_budget_mib=100)
    assert not result.ok
    assert result.killed and "memory" in result.killed
    assert result.wall_seconds < 25
