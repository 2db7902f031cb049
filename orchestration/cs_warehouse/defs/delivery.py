"""Alert delivery as an asset after the publish: it can never fail the night (delivery.py)."""

import dagster as dg

from cs_warehouse.defs.publish import SERVING_KEY
from cs_warehouse.warehouse import WarehouseResource

DELIVERY_KEY = dg.AssetKey(["delivery", "alert_delivery"])


@dg.asset(
    key=DELIVERY_KEY,
    group_name="delivery",
    deps=[SERVING_KEY],
    kinds={"sqlite"},
    description="Sends each open churn-risk alert episode of the published serving copy once to its owner: a "
    "Slack-compatible webhook message per episode and a daily e-mail digest per CSM, as configured by "
    "CSW_DELIVERY_*; every attempt in the delivery ledger (warehouse/delivery/delivery_ledger.sqlite). Without "
    "a channel, or with CSW_DELIVERY_DRY_RUN=1, writes the messages to warehouse/delivery/dry_run instead. A "
    "failure is logged and retried on the next night; it never fails the run.",
)
def alert_delivery(context: dg.AssetExecutionContext, warehouse: WarehouseResource) -> dg.MaterializeResult:
    from cs_warehouse.delivery import deliver_alerts

    try:
        settings = warehouse.settings
        result = deliver_alerts(settings.serving_path, settings.warehouse_path, settings.delivery)
    except Exception as exc:  # delivery waits for the next night; the published night stands
        context.log.error(f"alert delivery did not run, retried on the next night: {type(exc).__name__}: {exc}")
        return dg.MaterializeResult(metadata={"status": "not run", "error": f"{type(exc).__name__}: {exc}"[:2000]})
    failed = sum(by_status.get("failed", 0) for by_status in result.counts.values())
    if failed:
        context.log.warning(f"alert delivery: {result.text()}; failed attempts are retried on the next night")
    else:
        context.log.info(f"alert delivery: {result.text()}")
    metadata = {
        "status": "dry run" if result.dry_run else "delivered",
        "open_episodes": result.episodes,
        "counts": dg.MetadataValue.json(result.counts),
    }
    if result.dry_run_dir:
        metadata["dry_run_dir"] = dg.MetadataValue.path(str(result.dry_run_dir))
    return dg.MaterializeResult(metadata=metadata)
