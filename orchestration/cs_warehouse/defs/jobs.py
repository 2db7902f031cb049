"""The nightly build job, its 02:00 schedule, the landing-file sensor and the failure notification."""

import dagster as dg

from cs_warehouse.notify import notify_failure
from cs_warehouse.publish import record_failed_night
from cs_warehouse.runs import (
    EVENT_FILES_TAG,
    NEW_OR_CHANGED,
    PID_TAG,
    landing_fingerprint,
    partition_range_tags,
    pending_event_days,
    root_cause_of_exception,
    run_failure,
)
from cs_warehouse.settings import Settings, yesterday_in
from cs_warehouse.warehouse import WarehouseResource

# DuckDB has one writer per file: the nightly build runs its steps one after another in one process.
nightly_build = dg.define_asset_job(
    name="nightly_build",
    selection=dg.AssetSelection.all(),
    executor_def=dg.in_process_executor,
    description="Ingest landing files, build and test every dbt model, run the quality checks, publish the "
    "serving copy when every critical check passed, then write the reports and deliver the open alerts.",
)

# At 02:00 in the reporting time zone (the event partitions' zone, settings.reporting_timezone): yesterday's
# event partition (its new or changed files) plus every snapshot export and model.
nightly_schedule = dg.build_schedule_from_partitioned_job(
    nightly_build,
    name="nightly_build_0200_jst",
    hour_of_day=2,
    minute_of_hour=0,
    default_status=dg.DefaultScheduleStatus.RUNNING,
    tags={EVENT_FILES_TAG: NEW_OR_CHANGED},
)


@dg.sensor(
    job=nightly_build,
    minimum_interval_seconds=300,
    default_status=dg.DefaultSensorStatus.STOPPED,
    description="Starts the build when landing files appear or change (covering the event days they touch).",
)
def landing_files_sensor(
    context: dg.SensorEvaluationContext, warehouse: WarehouseResource
) -> dg.SensorResult | dg.SkipReason:
    settings = warehouse.settings
    fingerprint = landing_fingerprint(settings.landing_dir)
    if fingerprint == context.cursor:
        return dg.SkipReason("no new or changed landing files")
    try:
        days = pending_event_days(settings.landing_dir, settings.warehouse_path)
    except Exception as exc:  # recorded once per landing state: the cursor moves past it
        cause = root_cause_of_exception(exc)
        reason = f"partition discovery failed: {cause.text()}"
        record_failed_night(settings.serving_path, None, [reason], cause.as_dict(), stage="partition discovery")
        notify_failure("landing sensor could not start the nightly build", [reason], settings.notify_webhook_url)
        return dg.SensorResult(skip_reason=reason, cursor=fingerprint)
    request = dg.RunRequest(
        run_key=fingerprint, tags=partition_range_tags(days, yesterday_in(settings.reporting_timezone), reload=False)
    )
    return dg.SensorResult(run_requests=[request], cursor=fingerprint)


def report_failed_run(
    run_id: str, instance: dg.DagsterInstance, settings: Settings, command: str | None = None
) -> list[str]:
    """Record why the serving copy was not replaced (last_failure.json: the root cause of the first failed
    step, every failed step and check), and notify (log line, webhook when configured). `settings`: those of
    the run."""
    reasons, cause = run_failure(run_id, instance)
    record_failed_night(
        settings.serving_path, run_id, reasons, cause.as_dict() if cause else None, stage="run", command=command
    )
    notify_failure(f"nightly build {run_id} failed; serving copy unchanged", reasons, settings.notify_webhook_url)
    return reasons


@dg.run_failure_sensor(monitored_jobs=[nightly_build], default_status=dg.DefaultSensorStatus.RUNNING)
def nightly_failure_notifier(context: dg.RunFailureSensorContext, warehouse: WarehouseResource) -> None:
    """Records failed runs started by the schedule, the sensor or the UI. A run the CLI started (tagged with
    its pid) was recorded by the CLI already: recording it again would notify twice."""
    if PID_TAG in context.dagster_run.tags:
        return
    report_failed_run(context.dagster_run.run_id, context.instance, settings=warehouse.settings)
