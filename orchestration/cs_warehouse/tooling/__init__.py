"""Developer tooling, not imported by the nightly build: the synthetic data generator, the benchmark, the
RavenStack importer, the warehouse fingerprint, the generators of docs/raw_contract.md, docs/kpis.md and the
offline dbt docs page, the semantic layer's offline validation and the pull-request check. Each is a
subcommand of `cs-warehouse` (cs_warehouse/cli.py)."""
