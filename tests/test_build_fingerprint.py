"""A changed var or seed rebuilds the incremental models it feeds, without --full-refresh
(macros/build_fingerprint.sql), on a four-node dbt project written per test run: a seed, a source table the
test appends to, a view reading one var, and an incremental model reading another var through a project macro.

Each dbt build is a process of its own (a few seconds each, five builds).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import duckdb
import pytest
import yaml

from cs_warehouse.settings import PROJECT_DIR

DBT = str(Path(sys.executable).parent / "dbt")

PROJECT = {
    "name": "fingerprint_probe",
    "version": "1.0.0",
    "config-version": 2,
    "profile": "probe",
    "vars": {"multiplier": 2, "min_amount": 0, "as_of_date": None, "unused_by_scored": 1},
    "models": {"fingerprint_probe": {"+post-hook": "{{ record_build_fingerprint() }}"}},
}
SOURCES = """
sources:
  - name: landing
    schema: landing
    tables: [{name: events}]
"""
STAGED = "select * from {{ source('landing', 'events') }} where amount >= {{ var('min_amount') }}"
SCALED_MACRO = "{% macro scaled(column) %}{{ column }} * {{ var('multiplier') }}{% endmacro %}"
SCORED = """
{{ config(materialized='incremental', unique_key='event_id') }}
select e.event_id, {{ scaled('e.amount') }} + b.bonus as score, '{{ invocation_id }}' as built_by
from {{ ref('staged') }} e
join {{ ref('bonus_by_kind') }} b on b.kind = e.kind
{% if is_incremental() %}
where e.event_id > (select max(event_id) from {{ this }})
{% endif %}
"""
EVENTS = [(1, "a", 5), (2, "b", 7), (3, "a", 1)]
BONUS = {"a": 10, "b": 20}


class Probe:
    def __init__(self, root: Path) -> None:
        self.root = root
        self.warehouse = root / "probe.duckdb"
        (root / "models").mkdir(parents=True)
        (root / "macros").mkdir()
        (root / "seeds").mkdir()
        shutil.copy(PROJECT_DIR / "macros" / "build_fingerprint.sql", root / "macros")
        (root / "macros" / "scaled.sql").write_text(SCALED_MACRO)
        (root / "models" / "sources.yml").write_text(SOURCES)
        (root / "models" / "staged.sql").write_text(STAGED)
        (root / "models" / "scored.sql").write_text(SCORED)
        (root / "dbt_project.yml").write_text(yaml.safe_dump(PROJECT))
        profile = {"probe": {"target": "dev", "outputs": {"dev": {"type": "duckdb", "path": str(self.warehouse)}}}}
        (root / "profiles.yml").write_text(yaml.safe_dump(profile))
        self.write_bonus(BONUS)
        with duckdb.connect(str(self.warehouse)) as con:
            con.execute("create schema landing")
            con.execute("create table landing.events (event_id integer, kind varchar, amount integer)")
            con.executemany("insert into landing.events values (?, ?, ?)", EVENTS)

    def write_bonus(self, bonus: dict[str, int]) -> None:
        lines = ["kind,bonus", *(f"{k},{v}" for k, v in bonus.items())]
        (self.root / "seeds" / "bonus_by_kind.csv").write_text("\n".join(lines) + "\n")

    def add_event(self, row: tuple[int, str, int]) -> None:
        with duckdb.connect(str(self.warehouse)) as con:
            con.execute("insert into landing.events values (?, ?, ?)", row)

    def build(self, *args: str) -> str:
        env = {**os.environ, "DBT_PROFILES_DIR": str(self.root), "DBT_TARGET_PATH": str(self.root / "target")}
        env.pop("DBT_LOG_PATH", None)
        result = subprocess.run(
            [DBT, "build", "--project-dir", str(self.root), *args],
            cwd=self.root,
            env=env,
            capture_output=True,
            text=True,
            timeout=600,
        )
        assert result.returncode == 0, result.stdout + result.stderr
        return result.stdout

    def scored(self) -> dict[int, tuple[int, str]]:
        with duckdb.connect(str(self.warehouse), read_only=True) as con:
            rows = con.execute("select event_id, score, built_by from main.scored").fetchall()
        return {event_id: (score, built_by) for event_id, score, built_by in rows}


def scores(rows: dict[int, tuple[int, str]]) -> dict[int, int]:
    return {event_id: score for event_id, (score, _) in rows.items()}


@pytest.fixture(scope="module")
def probe(tmp_path_factory) -> Probe:
    probe = Probe(tmp_path_factory.mktemp("fingerprint") / "project")
    probe.build()
    return probe


def test_the_project_records_fingerprints_after_every_model() -> None:
    config = yaml.safe_load((PROJECT_DIR / "dbt_project.yml").read_text())
    assert config["models"]["cs_warehouse"]["+post-hook"] == "{{ record_build_fingerprint() }}"


def test_fingerprints_rebuild_only_on_a_changed_var_or_seed(probe: Probe) -> None:
    # multiplier 2: score = amount * 2 + bonus (a: 10, b: 20)
    first = probe.scored()
    assert scores(first) == {1: 20, 2: 34, 3: 12}

    # A new event, the run var and a var no node reads changed: the old rows stay as built, the new one is
    # appended.
    probe.add_event((4, "b", 3))
    probe.build("--vars", '{"as_of_date": "2025-06-02", "unused_by_scored": 7}')
    second = probe.scored()
    assert scores(second) == {1: 20, 2: 34, 3: 12, 4: 26}
    assert {event_id: second[event_id][1] for event_id in first} == {k: v[1] for k, v in first.items()}
    assert second[4][1] != first[1][1]

    # A var only a macro of the model reads: every row recomputed, as a full refresh would, and said once.
    out = probe.build("--vars", '{"multiplier": 3}')
    assert out.count("scored: a var or seed it reads changed since its last build: rebuilt in full") == 1
    assert scores(probe.scored()) == {1: 25, 2: 41, 3: 13, 4: 29}

    # A var of an ancestor (the view's filter): rows it now drops disappear.
    probe.build("--vars", '{"multiplier": 3, "min_amount": 2}')
    assert scores(probe.scored()) == {1: 25, 2: 41, 4: 29}

    # A seed among its ancestors: the new bonus reaches the old rows.
    probe.write_bonus({"a": 100, "b": 20})
    probe.build("--vars", '{"multiplier": 3, "min_amount": 2}')
    assert scores(probe.scored()) == {1: 115, 2: 41, 4: 29}
