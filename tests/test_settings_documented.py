"""Every CSW_* environment variable the project reads is in the README's settings table."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
NAME = re.compile(r"\bCSW_[A-Z0-9_]*[A-Z0-9]\b")
# Where the code, dbt profile, macros, scripts, Makefile and tests read settings from.
SOURCES = ["orchestration/cs_warehouse/**/*.py", "scripts/*", "macros/**/*.sql", "models/**/*.sql", "tests/**/*.py"]
FILES = ["profiles.yml", "dbt_project.yml", "Makefile"]


def settings_table() -> str:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    start = readme.index("## Settings (environment)")
    end = readme.index("\n## ", start + 1)
    return readme[start:end]


def test_every_environment_variable_read_is_in_the_readme_settings_table() -> None:
    paths = [p for pattern in SOURCES for p in ROOT.glob(pattern) if p.is_file()]
    paths += [ROOT / name for name in FILES]
    this_file = Path(__file__).resolve()
    read = {
        name
        for path in paths
        if path.resolve() != this_file
        for name in NAME.findall(path.read_text(encoding="utf-8", errors="replace"))
    }
    assert "CSW_DUCKDB_PATH" in read  # the scan sees the sources
    documented = {name.strip("`") for name in re.findall(r"`CSW_[A-Z0-9_]+`", settings_table())}
    assert sorted(read - documented) == []
