"""Running the warehouse on engines other than the embedded DuckDB: PostgreSQL and Apache Spark.

The dbt models are the same on every engine (see docs/engines.md); what differs is how the raw schema gets
there. Ingestion (validation, quarantine, audit) always runs into DuckDB; `raw_export` then copies the raw
tables to the target engine. `pg_serving` publishes the marts to PostgreSQL for BI tools.
"""

TARGETS = ("postgres", "spark")
