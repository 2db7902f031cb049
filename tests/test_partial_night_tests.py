"""A night that rebuilds part of the graph still runs every test that reads a rebuilt model.

The nightly leaves out the models with nothing new upstream (`build_state.Plan.exclude`). The tests it must
keep are those with at least one parent that is rebuilt: a relationship from an unchanged table to a changed
one (contract items to contracts, when only the contracts export changed) or a reconciliation of a rebuilt
mart with an unchanged one. `dbt ls` on the project, with the nightly's own exclusion arguments, lists them.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

from cs_warehouse.build_state import Plan, source_selectors
from cs_warehouse.defs.dbt import exclusion_args
from tests.conftest import DBT, Build


def listed_tests(build: Build, target: Path, *selection: str) -> set[str]:
    done = build.run(DBT, "ls", "--quiet", "--target-path", str(target), "--resource-type", "test",
                     "--output", "json", "--output-keys", "unique_id", "--select", "fqn:*", *selection)  # fmt: skip
    return {json.loads(line)["unique_id"] for line in done.stdout.splitlines() if line.startswith("{")}


def test_a_contracts_only_night_keeps_the_tests_that_read_a_rebuilt_model(standard_build: Build, tmp_path: Path):
    target = tmp_path / "target"
    target.mkdir()
    shutil.copy2(standard_build.target / "partial_parse.msgpack", target)  # dbt parses only what changed
    manifest = json.loads((standard_build.target / "manifest.json").read_text(encoding="utf-8"))
    plan = Plan(source_selectors(manifest, ["contracts"]), "the contracts export changed")
    left_out = set(plan.left_out(manifest))
    tests = {uid: node for uid, node in manifest["nodes"].items() if node["resource_type"] == "test"}
    keep = {uid for uid, node in tests.items() if not set(node["depends_on"]["nodes"]) <= left_out}
    partly_left_out = {uid for uid in keep if set(tests[uid]["depends_on"]["nodes"]) & left_out}
    names = {tests[uid]["name"] for uid in partly_left_out}
    # Worked out from the project: contract items and accounts are not downstream of the contracts export,
    # the contracts' staging model is.
    assert "model.cs_warehouse.stg_crm__contract_items" in left_out
    assert "model.cs_warehouse.stg_crm__contracts" not in left_out
    assert any(n.startswith("relationships_stg_crm__contract_items_contract_id__contract_id") for n in names), names

    listed = listed_tests(standard_build, target, *exclusion_args(plan.exclude(manifest)))
    assert listed == keep
    # dbt's default (eager) selection would have left those out: the reason for the nightly's arguments.
    eager = listed_tests(standard_build, target, *exclusion_args(plan.exclude(manifest), keep_tests=False))
    assert eager == keep - partly_left_out
