"""Customer Success KPI warehouse: ingestion, dbt orchestration, quality gates and reports."""

__version__ = "0.1.0"
