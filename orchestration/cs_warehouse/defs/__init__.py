"""Dagster definitions, one module per kind: ingestion, dbt, reports, jobs and schedules."""
