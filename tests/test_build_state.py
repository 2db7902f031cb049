"""The nightly's dbt selection (cs_warehouse/build_state.py) on a hand-written manifest: two sources, a model
reading the reporting day through a macro of a macro, and one that does not."""

from __future__ import annotations

from pathlib import Path

import duckdb

from cs_warehouse import build_state

MANIFEST = {
    "metadata": {"project_name": "cs_warehouse"},
    "sources": {
        "source.cs_warehouse.crm.accounts": {"name": "accounts", "source_name": "crm"},
        "source.cs_warehouse.product.product_events": {"name": "product_events", "source_name": "product"},
    },
    "macros": {
        "macro.cs_warehouse.reporting_day": {
            "package_name": "cs_warehouse",
            "macro_sql": "{% macro reporting_day() %}{{ var( 'as_of_date' ) }}{% endmacro %}",
            "depends_on": {"macros": []},
        },
        "macro.cs_warehouse.month_end": {
            "package_name": "cs_warehouse",
            "macro_sql": "{% macro month_end() %}last_day({{ reporting_day() }}){% endmacro %}",
            "depends_on": {"macros": ["macro.cs_warehouse.reporting_day"]},
        },
    },
    "nodes": {
        "model.cs_warehouse.int_months": {
            "resource_type": "model",
            "name": "int_months",
            "raw_code": "select {{ month_end() }}",
            "checksum": {"checksum": "m1"},
            "depends_on": {"macros": ["macro.cs_warehouse.month_end"]},
        },
        "model.cs_warehouse.stg_accounts": {
            "resource_type": "model",
            "name": "stg_accounts",
            "raw_code": "select * from {{ source('crm', 'accounts') }} where x < {{ var('as_of') }}",
            "checksum": {"checksum": "m2"},
            "depends_on": {"macros": []},
        },
    },
}


def state(tmp_path: Path, loads: dict[str, str], day: str = "2025-06-01", **changes) -> dict:
    project = tmp_path / "dbt_project.yml"
    if not project.exists():
        project.write_text("name: cs_warehouse\n")
    manifest = {**MANIFEST, **changes}
    return {
        "project": build_state.project_signature(manifest, project, "dev", {"as_of_date": day}),
        "as_of_date": day,
        "loads": loads,
    }


def test_only_what_is_downstream_of_new_loads_or_a_new_reporting_day_is_selected(tmp_path: Path) -> None:
    loads = {"accounts": "L1", "product_events": "L1"}
    before = state(tmp_path, loads)
    assert build_state.plan(None, before, MANIFEST).select is None
    assert build_state.plan(before, before, MANIFEST).select == []
    # the reporting day is a run var: it does not change the project's signature
    next_day = state(tmp_path, loads, day="2025-06-02")
    assert next_day["project"] == before["project"]
    assert build_state.plan(before, next_day, MANIFEST).select == ["int_months+"]
    new_events = state(tmp_path, {**loads, "product_events": "L2"})
    assert build_state.plan(before, new_events, MANIFEST).select == ["source:product.product_events+"]
    assert build_state.plan(before, new_events, MANIFEST, force_full=True).select is None


def test_a_changed_model_macro_or_project_file_builds_everything(tmp_path: Path) -> None:
    loads = {"accounts": "L1"}
    before = state(tmp_path, loads)
    nodes = {**MANIFEST["nodes"]}
    nodes["model.cs_warehouse.stg_accounts"] = {
        **nodes["model.cs_warehouse.stg_accounts"],
        "checksum": {"checksum": "m3"},
    }
    assert build_state.plan(before, state(tmp_path, loads, nodes=nodes), MANIFEST).select is None
    macros = {**MANIFEST["macros"]}
    macros["macro.cs_warehouse.reporting_day"] = {**macros["macro.cs_warehouse.reporting_day"], "macro_sql": "x"}
    assert build_state.plan(before, state(tmp_path, loads, macros=macros), MANIFEST).select is None
    (tmp_path / "dbt_project.yml").write_text("name: cs_warehouse\nvars: {gross_margin: 0.7}\n")
    assert build_state.plan(before, state(tmp_path, loads), MANIFEST).select is None


def test_latest_loads_read_the_load_audit(tmp_path: Path) -> None:
    path = tmp_path / "wh.duckdb"
    assert build_state.latest_loads(path) == {}
    with duckdb.connect(str(path)) as con:
        con.execute("create schema raw")
        con.execute("create table raw._load_audit (load_id varchar, entity varchar)")
        con.execute("insert into raw._load_audit values ('20250601T1', 'accounts'), ('20250602T1', 'accounts')")
    assert build_state.latest_loads(path) == {"accounts": "20250602T1"}
    build_state.record(tmp_path / "history", {"loads": {"accounts": "20250602T1"}})
    assert build_state.read(tmp_path / "history") == {"loads": {"accounts": "20250602T1"}}


def test_what_is_not_downstream_of_the_selection_is_excluded_by_fqn() -> None:
    manifest = {
        **MANIFEST,
        "nodes": {
            **MANIFEST["nodes"],
            "model.cs_warehouse.stg_events": {
                "resource_type": "model",
                "name": "stg_events",
                "fqn": ["p", "stg_events"],
            },
            "seed.cs_warehouse.plans": {"resource_type": "seed", "name": "plans", "fqn": ["p", "plans"]},
            "test.cs_warehouse.not_null_x": {"resource_type": "test", "name": "not_null_x", "fqn": ["p", "nn"]},
        },
        "child_map": {
            "source.cs_warehouse.product.product_events": ["model.cs_warehouse.stg_events"],
            "model.cs_warehouse.stg_events": ["model.cs_warehouse.int_months"],
        },
    }
    manifest["nodes"]["model.cs_warehouse.int_months"] = {**manifest["nodes"]["model.cs_warehouse.int_months"],
                                                          "fqn": ["p", "int_months"]}  # fmt: skip
    manifest["nodes"]["model.cs_warehouse.stg_accounts"] = {
        **manifest["nodes"]["model.cs_warehouse.stg_accounts"],
        "fqn": ["p", "stg_accounts"],
    }
    plan = build_state.Plan(["source:product.product_events+"], "new loads")
    assert plan.exclude(manifest) == ["fqn:p.plans", "fqn:p.stg_accounts"]
    assert build_state.Plan(None, "all").exclude(manifest) == []
