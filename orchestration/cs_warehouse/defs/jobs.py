"""The nightly build job and its schedule."""

import dagster as dg

# DuckDB has one writer per file: the nightly build runs its steps one after another in one process.
nightly_build = dg.define_asset_job(
    name="nightly_build",
    selection=dg.AssetSelection.all(),
    executor_def=dg.in_process_executor,
    description="Ingest landing files, build and test every dbt model, then write the reports.",
)

nightly_schedule = dg.ScheduleDefinition(
    name="nightly_build_0200_jst",
    job=nightly_build,
    cron_schedule="0 2 * * *",
    execution_timezone="Asia/Tokyo",
    default_status=dg.DefaultScheduleStatus.RUNNING,
)
