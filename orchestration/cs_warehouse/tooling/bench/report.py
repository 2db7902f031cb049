"""The results file: Markdown tables over the JSON the benchmark writes beside it."""

from __future__ import annotations

STAGES = [
    "startup",
    "job_setup",
    "ingestion",
    "dbt",
    "gx_checks",
    "publish",
    "report",
    "delivery",
    "between_steps",
    "process_exit",
    "other",
]
TOP_NODES = 15


def _s(value: float | None, digits: int = 1) -> str:
    return "—" if value is None else f"{value:.{digits}f}"


def _gib(mib: float | None) -> str:
    return "—" if mib is None else f"{mib / 1024:.2f}"


def _range(repeats: list[dict], key: str) -> str:
    values = [r[key]["measured"]["wall_seconds"] for r in repeats if r[key]["measured"]["ok"]]
    return f"{min(values):.1f}–{max(values):.1f}" if values else "—"


# Every measurement of one repeat, in the order it runs; the nightly runs among them.
MEASUREMENTS = ("full", "incremental", "idle", "raw_scan", "peer_pandas", "dbt_usage")
NIGHTS = ("full", "incremental", "idle")


def _failed(repeats: list[dict], key: str) -> str:
    reasons = [r[key]["measured"]["killed"] or f"exit {r[key]['measured']['returncode']}"
               for r in repeats if not r[key]["measured"]["ok"]]  # fmt: skip
    return f" (failed {len(reasons)}×: {'; '.join(sorted(set(reasons)))})" if reasons else ""


def render_markdown(body: dict) -> str:
    machine = body["machine"]
    lines = [
        "# Benchmark results",
        "",
        "Written by `cs-warehouse bench` (method: docs/performance.md); the raw measurements are in the "
        "JSON file beside this one. Times are medians of the repeats, wall clock, seconds; memory is the peak "
        "resident set of the command's whole process tree (GiB).",
        "",
        f"- Command: `{body['command']}`" + (f" on code {body['code']}" if body.get("code") else ""),
        f"- Started {body['started_at']}" + (f", finished {body['finished_at']}" if body.get("finished_at") else ""),
        f"- Machine: {machine['cpus']} CPUs, {machine['memory_gib']} GiB, {machine['platform']}, "
        f"Python {machine['python']}; " + ", ".join(f"{k} {v}" for k, v in machine["versions"].items() if v),
        f"- **Load average (1, 5, 15 min) at start: {', '.join(map(str, body['loadavg_at_start']))}**"
        + (f"; at end: {', '.join(map(str, body['loadavg_at_end']))}" if body.get("loadavg_at_end") else ""),
    ]
    for run in body.get("runs") or []:
        lines.append(
            f"  - `{run['command']}`"
            + (f" on code {run['code']}" if run.get("code") else "")
            + f": {', '.join(run['sizes'])}; started {run['started_at']}"
            + (f", finished {run['finished_at']}" if run.get("finished_at") else ", stopped before it finished")
            + f"; load average at start {', '.join(map(str, run['loadavg_at_start']))}"
        )
    busy = body["loadavg_at_start"][0] > 0.25 * machine["cpus"]
    if busy:
        lines.append(
            f"- **The machine was shared during this run** (load above {0.25 * machine['cpus']:.1f} on "
            f"{machine['cpus']} CPUs): wall times are upper bounds; CPU seconds are less affected. Each "
            "measurement's own load average is in the JSON."
        )
    lines += ["", "## Summary", ""]
    lines += [
        "| events | full nightly (s) | range | peak GiB | CPU s | incremental nightly (s) | peak GiB | "
        "nothing new (s) | raw scan (s) | full ÷ scan | pandas usage (s) | peak GiB | dbt usage (s) | peak GiB "
        "| pandas ÷ dbt |",
        "|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for label, size in body["sizes"].items():
        s, reps = size["summary"], size["repeats"]
        lines.append(
            f"| {label} ({size['dataset']['events_written']:,}) "
            f"| {_s(s['full']['wall_seconds'])}{_failed(reps, 'full')} | {_range(reps, 'full')} "
            f"| {_gib(s['full']['peak_mib'])} | {_s(s['full']['cpu_seconds'], 0)} "
            f"| {_s(s['incremental']['wall_seconds'])}{_failed(reps, 'incremental')} "
            f"| {_gib(s['incremental']['peak_mib'])} "
            f"| {_s(s['idle']['wall_seconds']) + _failed(reps, 'idle') if 'idle' in s else '—'} "
            f"| {_s(s['raw_scan']['query_seconds'], 2)} | {_s(s['ratio_full_to_raw_scan'], 0)} "
            f"| {_s(s['peer_pandas']['wall_seconds'])}{_failed(reps, 'peer_pandas')} "
            f"| {_gib(s['peer_pandas']['peak_mib'])} "
            f"| {_s(s['dbt_usage']['wall_seconds'])}{_failed(reps, 'dbt_usage')} | {_gib(s['dbt_usage']['peak_mib'])} "
            f"| {_s(s['ratio_peer_to_dbt_usage'], 2)} |"
        )
    lines += [
        "",
        "Full nightly: every event day but the last, from an empty warehouse, in a fresh process (Python start-up "
        "and loading the Dagster definitions included). Incremental nightly: the next run after the last day's "
        "file arrives. Nothing new: the run after that on the same landing files (the night's fixed cost). "
        "Raw scan: one DuckDB query, events per account per day over raw.product_events (the query "
        "alone). pandas usage: `benchmarks/peer_pandas_usage.py` from the landing Parquet. dbt usage: "
        "`dbt build --full-refresh` of the usage models and their parents, dbt start-up and partial parse included "
        "(the parse cache primed with the same profile, as after any earlier run). "
        "pandas ÷ dbt above 1 means the project is faster.",
        "",
        "## Time per stage (medians, s)",
        "",
        "| events | build | " + " | ".join(STAGES) + " |",
        "|---|---|" + "---:|" * len(STAGES),
    ]
    for label, size in body["sizes"].items():
        for key in (k for k in NIGHTS if k in size["summary"]):
            stages = size["summary"][key]["stages"]
            lines.append(f"| {label} | {key} | " + " | ".join(_s(stages.get(stage)) for stage in STAGES) + " |")
    lines += [
        "",
        "startup = process start to the Dagster definitions loaded; job_setup = from there to the run's start "
        "(pending event days, resolving the job); between_steps = the run's time outside any step; process_exit "
        "= after the run until the process ended. "
        "Checks run as steps of their own: `rows_reconcile` counts as ingestion, `gx_*` as GX checks.",
        "",
        "## dbt inside the nightly (medians, s)",
        "",
    ]
    for label, size in body["sizes"].items():
        for key in (k for k in NIGHTS if k in size["summary"]):
            s = size["summary"][key]
            by_type = ", ".join(f"{kind} {seconds:.1f}" for kind, seconds in sorted(s["dbt_by_type"].items()))
            lines += [f"**{label}, {key}** — by node type: {by_type}", "", "| node | s |", "|---|---:|"]
            for uid, seconds in list(s["dbt_nodes"].items())[:TOP_NODES]:
                lines.append(f"| `{uid}` | {_s(seconds, 2)} |")
            lines.append("")
    lines += [
        "## Every measurement",
        "",
        "| events | repeat | command | wall s | CPU s | peak GiB | load at start | status |",
        "|---|---:|---|---:|---:|---:|---|---|",
    ]
    for label, size in body["sizes"].items():
        for i, repeat in enumerate(size["repeats"], start=1):
            for key in (k for k in MEASUREMENTS if k in repeat):
                m = repeat[key]["measured"]
                status = "ok" if m["ok"] else (m["killed"] or f"exit {m['returncode']}")
                lines.append(
                    f"| {label} | {i} | {key} | {_s(m['wall_seconds'])} | {_s(m['cpu_seconds'])} "
                    f"| {_gib(m['peak_mib'])} | {', '.join(map(str, m['loadavg_start']))} | {status} |"
                )
    return "\n".join(lines) + "\n"
