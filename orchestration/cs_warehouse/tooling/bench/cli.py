"""`cs-warehouse bench`: generate, build, measure, and write the results (Markdown + JSON)."""

from __future__ import annotations

import datetime as dt
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import time
from importlib import metadata
from pathlib import Path

from cs_warehouse.settings import PROJECT_DIR, yesterday_in
from cs_warehouse.tooling.bench.proc import Measured, run_measured
from cs_warehouse.tooling.bench.report import MEASUREMENTS, NIGHTS, render_markdown

# Accounts per million events at 12 months and 1.3 events per user-day (measured: 200 accounts gave 845k).
ACCOUNTS_PER_MILLION = 237
MONTHS = 12
EVENTS_PER_USER_DAY = 1.3
SEED = 42
# The models behind DAU/MAU per account-day and sessions per account-month; dbt adds their parents.
USAGE_SELECTION = "+int_usage_active_users_daily +int_usage_account_monthly"


SKIPPED = {"ok": False, "killed": "skipped: the full build failed", "returncode": None, "wall_seconds": None,
           "cpu_seconds": None, "peak_mib": None, "loadavg_start": []}  # fmt: skip


def parse_size(text: str) -> int:
    text = text.strip().upper()
    scale = {"K": 1_000, "M": 1_000_000}.get(text[-1], 1)
    return int(float(text[:-1] if scale > 1 else text) * scale)


def parse_repeats(text: str, n_sizes: int) -> list[int]:
    """`3` is three runs of every size; `3,3,1` gives each size its own count, in the order of --sizes."""
    counts = [int(part) for part in text.split(",") if part.strip()]
    if len(counts) == 1:
        counts = counts * n_sizes
    if len(counts) != n_sizes or min(counts, default=0) < 1:
        raise ValueError(f"--repeats {text!r}: give one count of at least 1, or one per size ({n_sizes})")
    return counts


def base_env(work: Path) -> dict[str, str]:
    env = dict(os.environ)
    env.update(
        PYTHONPATH=str(PROJECT_DIR / "orchestration"),
        DBT_PROFILES_DIR=str(PROJECT_DIR),
        DBT_TARGET_PATH=str(work / "target"),
        DBT_LOG_PATH=str(work / "target" / "logs"),
        PYTHONUNBUFFERED="1",
    )
    return env


def run_env(work: Path, landing: Path, state: Path) -> dict[str, str]:
    env = base_env(work)
    env.update(
        CSW_LANDING_DIR=str(landing),
        CSW_DUCKDB_PATH=str(state / "warehouse.duckdb"),
        CSW_SERVING_PATH=str(state / "serving" / "cs_marts.duckdb"),
        CSW_REPORTS_DIR=str(state / "reports"),
        CSW_QUALITY_HISTORY_DIR=str(state / "quality_history"),
        CSW_GX_DOCS_DIR=str(state / "gx_docs"),
        DAGSTER_HOME=str(state / "dagster_home"),
    )
    return env


def dataset(work: Path, label: str, events: int, end_date: dt.date) -> dict:
    """The landing folder of one size, generated once per arguments and reused by later runs."""
    root = work / "data" / label
    landing = root / "landing"
    args = {
        "accounts": max(1, round(events / 1_000_000 * ACCOUNTS_PER_MILLION)),
        "months": MONTHS,
        "seed": SEED,
        "end_date": end_date.isoformat(),
        "events_per_user_day": EVENTS_PER_USER_DAY,
    }
    stamp = root / "generated.json"
    if stamp.exists() and json.loads(stamp.read_text())["args"] == args:
        return json.loads(stamp.read_text())
    shutil.rmtree(root, ignore_errors=True)
    root.mkdir(parents=True)
    from cs_warehouse.tooling.generator import generate

    print(f"[{label}] generating {args}", flush=True)
    summary = generate(out_dir=landing, **args)
    body = {"args": args, "landing": str(landing), "events_written": summary["events_written"],
            "rows": summary["rows"], "generate_seconds": summary["seconds"]}  # fmt: skip
    stamp.write_text(json.dumps(body, indent=2) + "\n")
    return body


def child(module: str, *args: str) -> list[str]:
    return [sys.executable, "-m", module, *args]


def measure(name: str, command: list[str], env: dict, state: Path, budget_mib: float, timeout: float) -> Measured:
    print(f"    {name} ...", end=" ", flush=True)
    result = run_measured(command, env, state / "logs" / f"{name}.log", PROJECT_DIR, budget_mib, timeout)
    status = "ok" if result.ok else (result.killed or f"exit {result.returncode}")
    print(f"{result.wall_seconds:.1f} s, peak {result.peak_mib:.0f} MiB, load {result.loadavg_start[0]} ({status})")
    return result


def read_json(path: Path) -> dict | None:
    return json.loads(path.read_text()) if path.exists() else None


def one_repeat(work: Path, label: str, data: dict, budget_mib: float, timeout: float) -> dict:
    landing = Path(data["landing"])
    state = work / "runs" / label
    shutil.rmtree(state, ignore_errors=True)
    (state / "dagster_home").mkdir(parents=True)
    env = run_env(work, landing, state)
    days = sorted((landing / "product_events").glob("dt=*"))
    last_day, held = days[-1], state / "held_back" / days[-1].name
    out: dict = {}

    # Full build over every day but the last, then the incremental night that brings the last day.
    held.parent.mkdir(parents=True)
    shutil.move(last_day, held)
    try:
        full = measure("full_build", child("cs_warehouse.tooling.bench.nightly", "--out", str(state / "full.json")),
                       env, state, budget_mib, timeout)  # fmt: skip
    finally:
        shutil.move(held, last_day)
    out["full"] = {"measured": full.as_dict(), "timings": read_json(state / "full.json")}
    peer_script = PROJECT_DIR / "benchmarks" / "peer_pandas_usage.py"
    if not full.ok:
        # everything but the pandas script reads the warehouse the full build left half-built
        for key in ("incremental", "idle", "raw_scan", "dbt_usage"):
            out[key] = {"measured": SKIPPED}
        peer = measure("peer_pandas", [sys.executable, str(peer_script), "--landing", str(landing),
                                       "--out", str(state / "peer")], env, state, budget_mib, timeout)  # fmt: skip
        out["peer_pandas"] = {"measured": peer.as_dict(), "result": read_json(state / "peer" / "summary.json")}
        return out
    incremental = measure("incremental_build",
                          child("cs_warehouse.tooling.bench.nightly", "--out", str(state / "incremental.json")),
                          env, state, budget_mib, timeout)  # fmt: skip
    out["incremental"] = {"measured": incremental.as_dict(), "timings": read_json(state / "incremental.json")}
    # A night with nothing new: the same landing folder again. Its time is the night's fixed cost.
    idle = measure("idle_build", child("cs_warehouse.tooling.bench.nightly", "--out", str(state / "idle.json")),
                   env, state, budget_mib, timeout)  # fmt: skip
    out["idle"] = {"measured": idle.as_dict(), "timings": read_json(state / "idle.json")}

    scan = measure("raw_scan", child("cs_warehouse.tooling.bench.scan", "--database", env["CSW_DUCKDB_PATH"],
                                     "--out", str(state / "scan.json")), env, state, budget_mib, timeout)  # fmt: skip
    out["raw_scan"] = {"measured": scan.as_dict(), "result": read_json(state / "scan.json")}

    peer = measure("peer_pandas", [sys.executable, str(peer_script), "--landing", str(landing),
                                   "--out", str(state / "peer")], env, state, budget_mib, timeout)  # fmt: skip
    out["peer_pandas"] = {"measured": peer.as_dict(), "result": read_json(state / "peer" / "summary.json")}

    # dbt as a team would run it: a fresh process, its own start-up and partial parse included. The parse
    # cache is primed first with the same profile and environment (a changed profile or warehouse path makes
    # dbt parse the whole project again), as it is on every run after a project's first on a machine; the
    # priming parse is measured and reported on its own.
    subset_target = work / "target" / "usage_subset"
    subset_target.mkdir(parents=True, exist_ok=True)
    dbt_env = env | {"DBT_TARGET_PATH": str(subset_target)}
    dbt = str(Path(sys.executable).parent / "dbt")
    parse = measure("dbt_usage_parse", [dbt, "parse", "--quiet"], dbt_env, state, budget_mib, timeout)
    # as the nightly runs it: models and data tests, no unit tests (they check SQL, not data; CI runs them)
    usage = measure("dbt_usage_kpis", [dbt, "build", "--select", USAGE_SELECTION, "--full-refresh",
                                       "--exclude-resource-type", "unit_test", "--quiet"],
                    dbt_env, state, budget_mib, timeout)  # fmt: skip
    results = read_json(subset_target / "run_results.json")
    out["dbt_usage"] = {
        "measured": usage.as_dict(),
        "selection": USAGE_SELECTION,
        "nodes": len(results["results"]) if results else None,
        "dbt_elapsed_seconds": results.get("elapsed_time") if results else None,
        "parse": parse.as_dict(),
    }
    return out


def machine_info() -> dict:
    meminfo = Path("/proc/meminfo").read_text().splitlines()
    mem_kib = next(int(line.split()[1]) for line in meminfo if line.startswith("MemTotal"))
    versions = {}
    for package in ("duckdb", "dbt-core", "dbt-duckdb", "dagster", "dagster-dbt", "pandas", "pyarrow"):
        try:
            versions[package] = metadata.version(package)
        except metadata.PackageNotFoundError:
            versions[package] = None
    return {
        "cpus": os.cpu_count(),
        "memory_gib": round(mem_kib / 1024 / 1024, 1),
        "platform": platform.platform(),
        "python": platform.python_version(),
        "versions": versions,
    }


def code_version() -> str | None:
    """The commit the benchmarked code is at, `+changes` when the working tree differs from it; None outside a
    git checkout."""
    try:
        head = subprocess.run(["git", "rev-parse", "--short=12", "HEAD"], cwd=PROJECT_DIR, capture_output=True,
                              text=True, timeout=30, check=True).stdout.strip()  # fmt: skip
        status = subprocess.run(["git", "status", "--porcelain", "--untracked-files=no"], cwd=PROJECT_DIR,
                                capture_output=True, text=True, timeout=30, check=True).stdout  # fmt: skip
    except (OSError, subprocess.SubprocessError):
        return None
    return head + ("+changes" if status.strip() else "")


def summarise(repeats: list[dict]) -> dict:
    def med(values: list) -> float | None:
        values = [v for v in values if v is not None]
        return round(statistics.median(values), 3) if values else None

    def wall(key: str) -> list:
        return [r[key]["measured"]["wall_seconds"] if r[key]["measured"]["ok"] else None for r in repeats]

    def peak(key: str) -> list:
        # a run stopped at the memory budget still tells how far it got; a skipped one has no value
        return [r[key]["measured"]["peak_mib"] for r in repeats]

    def cpu(key: str) -> list:
        return [r[key]["measured"]["cpu_seconds"] if r[key]["measured"]["ok"] else None for r in repeats]

    summary: dict = {}
    for key in MEASUREMENTS:
        if not all(key in r for r in repeats):  # a measurement added after an earlier run was recorded
            continue
        summary[key] = {"wall_seconds": med(wall(key)), "peak_mib": med(peak(key)), "cpu_seconds": med(cpu(key)),
                        "ok_runs": sum(r[key]["measured"]["ok"] for r in repeats)}  # fmt: skip
    summary["raw_scan"]["query_seconds"] = med(
        [(r["raw_scan"].get("result") or {}).get("query_seconds") for r in repeats]
    )
    for key in (k for k in NIGHTS if k in summary):
        stages: dict[str, list] = {}
        nodes: dict[str, list] = {}
        for r in repeats:
            timings = r[key].get("timings") or {}
            per_stage: dict[str, float] = {"startup": timings.get("startup_seconds")}
            for step in (timings.get("steps") or {}).values():
                per_stage[step["stage"]] = per_stage.get(step["stage"], 0) + step["seconds"]
            steps_total = sum(v for k, v in per_stage.items() if k != "startup" and v)
            if timings.get("run_seconds") is not None:
                # executor bookkeeping between steps: the run's time not spent inside any step
                per_stage["between_steps"] = timings["run_seconds"] - steps_total
                # before the run starts: pending days (file hashes), resolving the job, the run record
                per_stage["job_setup"] = timings["job_seconds"] - timings["run_seconds"]
            if timings.get("job_seconds") is not None:
                per_stage["process_exit"] = (
                    r[key]["measured"]["wall_seconds"] - timings["startup_seconds"] - timings["job_seconds"]
                )
            for stage, seconds in per_stage.items():
                stages.setdefault(stage, []).append(seconds)
            for node in timings.get("dbt_nodes") or []:
                nodes.setdefault(node["unique_id"], []).append(node["seconds"])
        summary[key]["stages"] = {stage: med(values) for stage, values in stages.items()}
        per_type: dict[str, float] = {}
        node_medians = {uid: med(values) for uid, values in nodes.items()}
        for uid, seconds in node_medians.items():
            per_type[uid.split(".", 1)[0]] = round(per_type.get(uid.split(".", 1)[0], 0) + (seconds or 0), 3)
        summary[key]["dbt_by_type"] = per_type
        summary[key]["dbt_nodes"] = dict(sorted(node_medians.items(), key=lambda kv: -(kv[1] or 0)))
    full, scan = summary["full"]["wall_seconds"], summary["raw_scan"]["query_seconds"]
    summary["ratio_full_to_raw_scan"] = round(full / scan, 1) if full and scan else None
    peer, usage = summary["peer_pandas"]["wall_seconds"], summary["dbt_usage"]["wall_seconds"]
    summary["ratio_peer_to_dbt_usage"] = round(peer / usage, 2) if peer and usage else None
    return summary


def benchmark(
    command: str,
    sizes: str = "1M",
    repeats: str = "3",
    out: Path = PROJECT_DIR / "benchmarks" / "results.md",
    work_dir: Path = Path("/tmp/bench"),
    memory_budget_gib: float = 12.0,
    timeout_minutes: float = 60.0,
    end_date: dt.date | None = None,
    rerender: Path | None = None,
    merge: tuple[Path, ...] = (),
) -> int:
    """`cs-warehouse bench` (make bench); `command`, the command line, is kept in the results."""
    out = out if out.is_absolute() else Path.cwd() / out
    if merge:
        write(out, merge_runs([json.loads(path.read_text()) for path in merge]))
        return 0
    if rerender:
        body = json.loads(rerender.read_text())
        for size in body["sizes"].values():
            size["summary"] = summarise(size["repeats"])
        write(rerender.with_suffix(".md"), body)
        return 0

    labels = [s.strip() for s in sizes.split(",") if s.strip()]
    try:
        repeats_per_size = parse_repeats(repeats, len(labels))
    except ValueError as error:
        print(f"cs-warehouse bench: {error}", file=sys.stderr)
        return 2
    work = work_dir.resolve()
    work.mkdir(parents=True, exist_ok=True)
    # The models report as of today unless told otherwise, so the data ends yesterday like a real night's.
    end_date = end_date or yesterday_in("Asia/Tokyo")
    body: dict = {
        "command": command,
        "started_at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "loadavg_at_start": [round(x, 2) for x in os.getloadavg()],
        "code": code_version(),
        "machine": machine_info(),
        "memory_budget_gib": memory_budget_gib,
        "sizes": {},
    }
    print("dbt parse into", work / "target", flush=True)
    parse = run_measured([str(Path(sys.executable).parent / "dbt"), "parse", "--quiet"], base_env(work),
                         work / "logs" / "dbt_parse.log", PROJECT_DIR)  # fmt: skip
    if not parse.ok:
        print(f"dbt parse failed, see {parse.log}", file=sys.stderr)
        return 1
    budget_mib, timeout = memory_budget_gib * 1024, timeout_minutes * 60
    for label, n_repeats in zip(labels, repeats_per_size, strict=True):
        data = dataset(work, label, parse_size(label), end_date)
        print(f"[{label}] {data['events_written']:,} events, {data['args']['accounts']} accounts", flush=True)
        repeats = []
        for i in range(n_repeats):
            print(f"  repeat {i + 1}/{n_repeats}", flush=True)
            started = time.time()
            result = one_repeat(work, label, data, budget_mib, timeout)
            result["seconds"] = round(time.time() - started, 1)
            repeats.append(result)
        body["sizes"][label] = {"dataset": data, "repeats": repeats, "summary": summarise(repeats)}
        write(out, body)
    body["finished_at"] = dt.datetime.now(dt.UTC).isoformat(timespec="seconds")
    body["loadavg_at_end"] = [round(x, 2) for x in os.getloadavg()]
    write(out, body)
    print(f"results: {out} and {out.with_suffix('.json')}")
    return 0


RUN_FIELDS = ("command", "code", "started_at", "finished_at", "loadavg_at_start", "loadavg_at_end")


def merge_runs(bodies: list[dict]) -> dict:
    """One results body from several runs (say the large size on one day, the small ones on another): every
    measurement as it was recorded, each run's command, times and load listed; a size measured by more than
    one run keeps the later run's."""
    runs = []
    for body in bodies:
        runs += body.get("runs") or [{key: body.get(key) for key in RUN_FIELDS} | {"sizes": list(body["sizes"])}]
    merged: dict = {
        "command": f"merged from {len(runs)} runs (below)",
        "runs": runs,
        "started_at": min(run["started_at"] for run in runs),
        "finished_at": runs[-1].get("finished_at"),
        "loadavg_at_start": runs[0]["loadavg_at_start"],
        "loadavg_at_end": runs[-1].get("loadavg_at_end"),
        "machine": bodies[-1]["machine"],
        "memory_budget_gib": bodies[-1]["memory_budget_gib"],
        "sizes": {},
    }
    for body in bodies:
        merged["sizes"].update(body["sizes"])
    return merged


def write(out: Path, body: dict) -> None:
    """Both files after every size, so that a long run that stops keeps what it measured. Sizes are listed
    smallest first whatever order they ran in (`--sizes 100M,10M,1M` measures the largest first)."""
    body["sizes"] = dict(sorted(body["sizes"].items(), key=lambda item: parse_size(item[0])))
    out.parent.mkdir(parents=True, exist_ok=True)
    out.with_suffix(".json").write_text(json.dumps(body, indent=2, ensure_ascii=False) + "\n")
    out.write_text(render_markdown(body))
