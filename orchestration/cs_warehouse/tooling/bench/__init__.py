"""The performance benchmark: `cs-warehouse bench --sizes 1M,10M --repeats 3 --out benchmarks/results.md`.

For each size it generates a landing folder, then per repeat: the full nightly build (last event day held
back), the incremental nightly (that day back), a plain DuckDB scan of the raw events (the physical limit),
the usage KPIs by a pandas script (the peer) and by `dbt build` of the usage models. Every measured command
runs in its own process, so that wall time, CPU time and peak memory are those of that command alone.
docs/performance.md describes the method and the results.
"""
