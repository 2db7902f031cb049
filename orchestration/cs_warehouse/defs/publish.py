"""The publish gate as an asset: it runs only when every mart and every blocking check upstream passed."""

import dagster as dg

from cs_warehouse.defs.dbt import dbt_models
from cs_warehouse.defs.ingestion import SNAPSHOT_ENTITIES
from cs_warehouse.publish import publish_dbt_state, publish_serving_copy
from cs_warehouse.warehouse import WarehouseResource

MART_KEYS = sorted((key for key in dbt_models.keys if key.path[0] == "marts"), key=lambda k: k.to_user_string())
SERVING_KEY = dg.AssetKey(["serving", "marts"])


@dg.asset(
    key=SERVING_KEY,
    group_name="serving",
    deps=MART_KEYS,
    kinds={"duckdb"},
    description="Read-only copy of the marts for BI (warehouse/serving/cs_marts.duckdb), swapped atomically "
    "after the marts, their critical checks and the publish gates passed, with the dbt artifacts of the build it "
    "holds (warehouse/serving/dbt_state: the production state of `make pr-check`). A failed night leaves the "
    "previous copy in place.",
)
def serving_marts(context: dg.AssetExecutionContext, warehouse: WarehouseResource) -> dg.MaterializeResult:
    settings = warehouse.settings
    result = publish_serving_copy(
        settings.warehouse_path,
        settings.serving_path,
        run_id=context.run_id,
        baseline_entities=[e.name for e in SNAPSHOT_ENTITIES],
    )
    state = publish_dbt_state(settings.warehouse_path, settings.serving_path)
    return dg.MaterializeResult(
        metadata={
            "serving_path": dg.MetadataValue.path(str(result.serving_path)),
            "published_at": result.published_at,
            "tables": dg.MetadataValue.json(result.tables),
            "dbt_state": dg.MetadataValue.path(str(state)) if state else "none (no dbt build kept yet)",
        }
    )
