"""Great Expectations suites for the raw entities and the marts, run as Dagster asset checks.

`spec` describes a suite, `suites/` holds them (one function per suite), `runner` validates a suite against
the warehouse (pandas for small relations, SQL pushed down to DuckDB for large ones), keeps the row-count
history and writes the GX Data Docs. See docs/quality.md.
"""
