"""The benchmark harness's own pieces: sizes, stage names, and the measured subprocess."""

import sys

import pytest

from cs_warehouse.tooling.bench.cli import parse_repeats, parse_size
from cs_warehouse.tooling.bench.nightly import stage_of
from cs_warehouse.tooling.bench.proc import run_measured


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
    assert stage_of("delivery__alert_delivery") == "delivery"


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


def test_runs_merge_into_one_table_that_names_each_run():
    from cs_warehouse.tooling.bench.cli import merge_runs

    def run(day: str, sizes: list[str]) -> dict:
        return {
            "command": f"cs-warehouse bench --sizes {','.join(sizes)}",
            "code": f"c0de{day}",
            "started_at": f"2026-11-{day}T01:00:00+00:00",
            "finished_at": f"2026-11-{day}T02:00:00+00:00",
            "loadavg_at_start": [0.1, 0.1, 0.1],
            "loadavg_at_end": [1.0, 1.0, 1.0],
            "machine": {"cpus": 2, "day": day},
            "memory_budget_gib": 12.0,
            "sizes": {size: {"measured_on": day} for size in sizes},
        }

    merged = merge_runs([run("23", ["1M", "10M"]), run("30", ["10M", "100M"])])
    assert merged["sizes"] == {"1M": {"measured_on": "23"}, "10M": {"measured_on": "30"}, "100M": {"measured_on": "30"}}
    assert [r["sizes"] for r in merged["runs"]] == [["1M", "10M"], ["10M", "100M"]]
    assert (merged["started_at"], merged["finished_at"]) == ("2026-11-23T01:00:00+00:00", "2026-11-30T02:00:00+00:00")
    assert merged["machine"]["day"] == "30"
    assert [r["code"] for r in merged["runs"]] == ["c0de23", "c0de30"]  # which code each size was measured on
    # merging a merged body keeps its runs listed one by one
    assert len(merge_runs([merged, run("31", ["1M"])])["runs"]) == 3


def test_the_command_refuses_repeats_that_do_not_match_the_sizes_before_it_measures(tmp_path, capsys):
    from cs_warehouse.cli import main

    work = tmp_path / "work"
    assert main(["bench", "--sizes", "1M,10M", "--repeats", "3,3,1", "--work-dir", str(work)]) == 2
    assert "--repeats '3,3,1': give one count of at least 1, or one per size (2)" in capsys.readouterr().err
    assert not work.exists()  # refused before any dataset or dbt parse


def test_the_code_a_run_measured_is_its_commit_and_whether_the_tree_had_changes(tmp_path, monkeypatch):
    import subprocess

    from cs_warehouse.tooling.bench import cli as bench_cli

    repo = tmp_path / "repo"
    repo.mkdir()
    git = ["git", "-C", str(repo), "-c", "user.name=t", "-c", "user.email=t@example.com"]
    subprocess.run(["git", "init", "-q", str(repo)], check=True)
    (repo / "a.txt").write_text("one")
    subprocess.run([*git, "add", "a.txt"], check=True)
    subprocess.run([*git, "commit", "-qm", "one"], check=True)
    head = subprocess.run([*git, "rev-parse", "--short=12", "HEAD"], capture_output=True, text=True).stdout.strip()
    monkeypatch.setattr(bench_cli, "PROJECT_DIR", repo)
    assert bench_cli.code_version() == head
    (repo / "a.txt").write_text("two")
    assert bench_cli.code_version() == f"{head}+changes"
    monkeypatch.setattr(bench_cli, "PROJECT_DIR", tmp_path)  # not a checkout
    assert bench_cli.code_version() is None
