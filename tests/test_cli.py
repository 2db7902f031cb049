"""The one command line, `cs-warehouse` (cs_warehouse/cli.py): the command lines the Makefile and the docs give
name commands and options it has, and `python -m cs_warehouse` runs it. The nightly commands' failure records
and lock are tested in tests/test_failure_records.py."""

from __future__ import annotations

import re
import subprocess
import sys
import tomllib
from importlib import import_module

import click

from cs_warehouse.cli import cli
from cs_warehouse.settings import PROJECT_DIR

# Every file that tells someone to type a command: the Makefile, the README, docs/, the pull-request template.
COMMAND_FILES = [
    PROJECT_DIR / "Makefile",
    PROJECT_DIR / "README.md",
    PROJECT_DIR / ".github" / "pull_request_template.md",
    *sorted((PROJECT_DIR / "docs").glob("*.md")),
]
# `cs-warehouse`, then everything up to the end of the line or of the inline code span (a Makefile or shell
# line continued with a backslash is joined first).
COMMAND_LINE = re.compile(r"cs-warehouse((?: [^`\n]*)?)")


def command_lines() -> list[tuple[str, list[str]]]:
    found = []
    for path in COMMAND_FILES:
        text = re.sub(r"\\\n\s*", " ", path.read_text(encoding="utf-8"))
        for match in COMMAND_LINE.finditer(text):
            words = [w.strip("[]`();|") for w in match.group(1).split()]
            found.append((f"{path.relative_to(PROJECT_DIR)}: {match.group(0).strip()}", [w for w in words if w]))
    return found


def resolve(words: list[str]) -> tuple[click.Command, list[str]]:
    """The (sub)command the words name, and the words after it."""
    command: click.Command = cli
    rest = list(words)
    while isinstance(command, click.Group) and rest and not rest[0].startswith("-"):
        sub = command.get_command(click.Context(command), rest[0])
        if sub is None:
            raise LookupError(f"no command {rest[0]!r} under {command.name!r}")
        command, rest = sub, rest[1:]
    return command, rest


def test_every_command_line_in_the_makefile_and_docs_names_a_command_and_its_options() -> None:
    lines = command_lines()
    # the Makefile alone runs 14: a pattern that stopped matching would pass with nothing checked
    assert sum(where.startswith("Makefile") for where, _ in lines) == 14
    problems = []
    for where, words in lines:
        if words[:1] and words[0].startswith("<"):  # `cs-warehouse <command> --help`: a placeholder
            continue
        try:
            command, rest = resolve(words)
        except LookupError as exc:
            problems.append(f"{where}: {exc}")
            continue
        known = {opt for param in command.get_params(click.Context(command)) for opt in param.opts}
        for word in rest:
            option = word.split("=")[0]
            if option.startswith("--") and option not in known:
                problems.append(f"{where}: {command.name} has no option {option}")
    assert problems == []


def test_a_command_that_does_not_exist_is_not_resolved() -> None:
    assert resolve(["docs", "kpis", "out.md"])[1] == ["out.md"]
    for words in (["docs", "kpi"], ["gate", "accept"], ["generator", "--out"]):
        try:
            resolve(words)
        except LookupError:
            continue
        raise AssertionError(f"{words} resolved")


def test_no_file_still_runs_a_removed_module() -> None:
    stale = [
        f"{path.relative_to(PROJECT_DIR)}: {line.strip()}"
        for path in COMMAND_FILES
        for line in path.read_text(encoding="utf-8").splitlines()
        if re.search(r"python -m cs_warehouse\.(?!tooling\.bench\.nightly)", line)
    ]
    assert stale == []


def test_a_wrong_command_is_refused_with_exit_code_2() -> None:
    with_help = subprocess.run(
        [sys.executable, "-m", "cs_warehouse", "--help"], capture_output=True, text=True, timeout=60
    )
    assert with_help.returncode == 0
    listed = re.findall(r"^  ([a-z-]+) ", with_help.stdout, flags=re.MULTILINE)
    assert {"run", "nightly", "backfill", "load", "generate", "bench", "fingerprint", "docs"} <= set(listed)

    wrong = subprocess.run(
        [sys.executable, "-m", "cs_warehouse", "nightlly"], capture_output=True, text=True, timeout=60
    )
    assert wrong.returncode == 2
    assert "No such command 'nightlly'" in wrong.stderr


def test_the_console_script_runs_the_same_entry_point_as_python_dash_m() -> None:
    scripts = tomllib.loads((PROJECT_DIR / "pyproject.toml").read_text(encoding="utf-8"))["project"]["scripts"]
    module, _, name = scripts["cs-warehouse"].partition(":")
    main_module = (PROJECT_DIR / "orchestration" / "cs_warehouse" / "__main__.py").read_text(encoding="utf-8")
    assert f"from {module} import {name}" in main_module
    assert callable(getattr(import_module(module), name))


def test_summary_without_a_serving_copy_says_so_in_one_line(tmp_path, monkeypatch, capsys) -> None:
    from cs_warehouse.cli import main

    missing = tmp_path / "serving" / "cs_marts.duckdb"
    monkeypatch.setenv("CSW_SERVING_PATH", str(missing))
    monkeypatch.setenv("CSW_REPORTS_DIR", str(tmp_path / "reports"))
    assert main(["summary"]) == 1
    err = capsys.readouterr().err.strip().splitlines()
    assert err == [f"cs-warehouse summary: no serving copy at {missing}: the nightly build has not published yet"]
