"""The publish gates (cs_warehouse/gates.py) as blocking asset checks, named `publish_gate`:

- on every snapshot raw entity: its rows vs the published night's, and its quarantined rows; a failure skips
  the dbt models that read it and so the publish;
- on marts/mart_kpi_monthly (after mart_mrr_movements too): MRR vs the published serving copy and the
  absolute bounds; a failure skips the publish.

The check metadata carries `message` (one line with the numbers, read by runs.run_failure) and the
findings, accepted ones included.
"""

from collections.abc import Iterator

import dagster as dg

from cs_warehouse.defs.ingestion import SNAPSHOT_ENTITIES, raw_asset_key
from cs_warehouse.gates import Finding, describe, export_findings, failing, load_gate_config, mart_findings
from cs_warehouse.warehouse import WarehouseResource

GATE_CHECK = "publish_gate"
KPI_KEY = dg.AssetKey(["marts", "mart_kpi_monthly"])
MOVEMENTS_KEY = dg.AssetKey(["marts", "mart_mrr_movements"])


def _result(asset_key: dg.AssetKey, findings: list[Finding], passed_message: str) -> dg.AssetCheckResult:
    failed = failing(findings)
    return dg.AssetCheckResult(
        asset_key=asset_key,
        check_name=GATE_CHECK,
        passed=not failed,
        severity=dg.AssetCheckSeverity.ERROR,
        metadata={
            "message": describe(findings) or passed_message,
            "findings": dg.MetadataValue.json(
                [{k: v for k, v in f.__dict__.items() if v is not None} for f in findings]
            ),
        },
    )


@dg.multi_asset_check(
    name="publish_gate_exports",
    specs=[
        dg.AssetCheckSpec(
            GATE_CHECK,
            asset=raw_asset_key(entity.name),
            blocking=True,
            description="Rows vs the last published night and quarantined rows within the publish-gate limits "
            "(contract/publish_gates.yml).",
        )
        for entity in SNAPSHOT_ENTITIES
    ],
    can_subset=True,
)
def publish_gate_exports(
    context: dg.AssetCheckExecutionContext, warehouse: WarehouseResource
) -> Iterator[dg.AssetCheckResult]:
    settings = warehouse.settings
    selected = {key.asset_key.path[-1] for key in context.selected_asset_check_keys}
    entities = [e.name for e in SNAPSHOT_ENTITIES if e.name in selected]
    found = export_findings(settings.warehouse_path, settings.serving_path, entities, load_gate_config())
    for entity in entities:
        yield _result(raw_asset_key(entity), found[entity], "within the limits")


@dg.asset_check(
    asset=KPI_KEY,
    name=GATE_CHECK,
    additional_deps=[MOVEMENTS_KEY],
    blocking=True,
    description="Company MRR vs the published serving copy (latest complete month and published history) and "
    "absolute bounds on account-month MRR and the first month (contract/publish_gates.yml).",
)
def publish_gate_marts(warehouse: WarehouseResource) -> dg.AssetCheckResult:
    settings = warehouse.settings
    findings = mart_findings(settings.warehouse_path, settings.serving_path, load_gate_config())
    return _result(KPI_KEY, findings, "within the limits")


gate_checks = [publish_gate_exports, publish_gate_marts]
