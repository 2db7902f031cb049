# Customer Success KPI warehouse. `make run` builds everything; `make test` checks everything.
SHELL := /bin/bash
.DEFAULT_GOAL := help

PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
export PYTHONPATH := $(CURDIR)/orchestration
export DAGSTER_HOME ?= $(CURDIR)/.dagster_home
export DBT_PROFILES_DIR := $(CURDIR)
# The test warehouse and its landing data live apart from the one `make run` builds.
TEST_DIR := $(CURDIR)/build/test
# pytest on both cores (pytest-xdist, the dev extra), tests that share a generated dataset on one worker
# (tests/conftest.py); a plain serial run where pytest-xdist is not installed.
PYTEST_PARALLEL = $(shell $(BIN)/python -c "import xdist" 2>/dev/null && echo "-n 2 --dist loadfile")

.PHONY: help venv lock run nightly backfill accept-change data ravenstack test-ravenstack dev test test-session test-python test-dbt lint lint-sql lint-python lint-workflows pr-check docs clean test-semantic query browser test-postgres test-spark

help:  ## List the commands
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | sed -E 's/:.*## /\t/' | column -t -s $$'\t'

$(STAMP): requirements.lock pyproject.toml
	@command -v $(PYTHON) >/dev/null || { echo "Python 3.11 is required ($(PYTHON) not found)"; exit 1; }
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip --version >/dev/null 2>&1 || $(BIN)/python -m ensurepip --upgrade >/dev/null
	$(BIN)/python -m pip install --quiet --disable-pip-version-check uv
	$(BIN)/uv pip sync --quiet --python $(BIN)/python requirements.lock
	$(BIN)/uv pip install --quiet --python $(BIN)/python --no-deps -e .
	touch $(STAMP)

venv: $(STAMP)  ## Create the virtualenv with the locked dependencies

lock:  ## Re-resolve requirements.lock from pyproject.toml
	$(BIN)/uv pip compile --quiet pyproject.toml --extra dev --extra spark --python-version 3.11 -o requirements.lock

run: $(STAMP)  ## Generate sample data if none, run the nightly build in-process, print the KPI summary
	$(BIN)/dbt parse --quiet
	$(BIN)/cs-warehouse run

nightly: $(STAMP)  ## Run the nightly build on the current landing folder
	$(BIN)/dbt parse --quiet
	$(BIN)/cs-warehouse nightly

backfill: $(STAMP)  ## Re-run the nightly build over past event days: make backfill FROM=2026-03-01 TO=2026-03-03
	$(BIN)/dbt parse --quiet
	$(BIN)/cs-warehouse backfill --from $(FROM) --to $(TO)

accept-change: $(STAMP)  ## Let a real change the publish gates stopped publish once: make accept-change ENTITY=accounts REASON="..."
	$(BIN)/cs-warehouse gates accept "$(ENTITY)" --reason "$(REASON)"

data: $(STAMP)  ## Generate landing data into an empty folder: make data ACCOUNTS=300 MONTHS=24 SEED=42 [MESSY=1] [FORCE=1]
	$(BIN)/cs-warehouse generate --out $${CSW_LANDING_DIR:-data/landing} \
		--accounts $${ACCOUNTS:-300} --months $${MONTHS:-24} --seed $${SEED:-42} $${MESSY:+--messy} $${FORCE:+--force}

ravenstack: $(STAMP)  ## Import datasets/ravenstack (vendored) through mappings/ravenstack.yml, then dbt build on it
	$(BIN)/cs-warehouse import-ravenstack --out build/ravenstack
	@# its own dbt target folder: `make test` runs this beside pytest, whose Dagster tests read target/
	CSW_DUCKDB_PATH=$(CURDIR)/build/ravenstack/warehouse.duckdb DBT_TARGET_PATH=$(CURDIR)/build/ravenstack/target \
		DBT_LOG_PATH=$(CURDIR)/build/ravenstack/logs $(BIN)/dbt build --vars '{as_of_date: "2025-01-31"}'

test-ravenstack: ravenstack  ## RavenStack through its mapping, reconciled, then dbt build (bridge tests included) on it

dev: $(STAMP)  ## Start the Dagster UI on http://127.0.0.1:3000
	$(BIN)/dbt parse --quiet
	$(BIN)/dagster dev -h 127.0.0.1 -p 3000 -m cs_warehouse.definitions

test: $(STAMP) browser lint  ## Everything that checks the project: ruff, sqlfluff, pytest, dbt build on test data, the PostgreSQL leg
	@# side by side: pytest leaves part of the second core idle; each part's output is printed when it ends
	$(MAKE) --no-print-directory --output-sync=target -j 3 test-session test-ravenstack test-semantic

# `make test`'s one pytest session: every test but the Spark leg, the PostgreSQL leg included. The session
# builds the standard dataset once (tests/conftest.py `standard_build`: the whole `dbt build` that
# test-dbt runs, on the same dataset, its node count printed at the end); the PostgreSQL leg and the KPI
# tests read that build.
test-session: $(STAMP)
	$(BIN)/dbt parse --quiet
	eval "$$(scripts/postgres.sh)" && CSW_REQUIRE_ENGINE_LEGS=1 $(BIN)/python -m pytest -q $(PYTEST_PARALLEL) -m "not spark"

test-python: $(STAMP)  ## pytest without the engine legs
	$(BIN)/dbt parse --quiet
	$(BIN)/python -m pytest -q $(PYTEST_PARALLEL) -m "not spark and not postgres"

# The standard dataset of tests/conftest.py (STANDARD): keep the two in step.
test-dbt: $(STAMP)  ## dbt build (seeds, models, data tests, unit tests) on a small generated dataset; no warning may fail
	rm -rf $(TEST_DIR) && mkdir -p $(TEST_DIR)
	$(BIN)/cs-warehouse generate --out $(TEST_DIR)/landing --accounts 200 --months 15 --seed 7 \
		--end-date 2026-09-30 --events-per-user-day 0.25
	CSW_LANDING_DIR=$(TEST_DIR)/landing CSW_DUCKDB_PATH=$(TEST_DIR)/warehouse.duckdb $(BIN)/cs-warehouse load > $(TEST_DIR)/load.log
	CSW_DUCKDB_PATH=$(TEST_DIR)/warehouse.duckdb $(BIN)/dbt build --vars '{as_of_date: "2026-09-30"}'
	@# A clean generated build raises no warning: no dbt test ends `warn`, no GX warning fails (docs/quality.md).
	CSW_DUCKDB_PATH=$(TEST_DIR)/warehouse.duckdb CSW_AS_OF_DATE=2026-09-30 CSW_QUALITY_HISTORY_DIR=$(TEST_DIR)/quality_history \
		$(BIN)/cs-warehouse quality --fail-on-warnings --dbt-run-results target/run_results.json \
		2> $(TEST_DIR)/quality.err || { tail -20 $(TEST_DIR)/quality.err; exit 1; }

lint: lint-python lint-sql lint-workflows  ## ruff, sqlfluff and the CI workflow linter

lint-python: $(STAMP)
	$(BIN)/ruff check orchestration tests
	$(BIN)/ruff format --check orchestration tests

lint-sql: $(STAMP)
	CSW_DBT_TARGET=lint $(BIN)/sqlfluff lint models --processes 2

# .github/workflows/*.yml: actionlint when installed, else check-jsonschema (dev extra); skips with a message
# when neither is (scripts/lint_workflows.sh)
lint-workflows:
	scripts/lint_workflows.sh

# The page embeds the manifest with each description led by its Japanese label (cs_warehouse/tooling/dbt_docs.py).
docs: $(STAMP)  ## dbt docs (lineage, column docs with their Japanese labels) into target/static_index.html, one file that opens offline
	$(BIN)/dbt docs generate
	$(BIN)/cs-warehouse docs static-page

clean:  ## Remove generated data, the warehouse and build artefacts (keeps the virtualenv)
	rm -rf data warehouse build target logs .dagster_home

test-semantic: $(STAMP)  ## Validate the MetricFlow semantic models and metrics offline (no warehouse opened)
	$(BIN)/cs-warehouse semantic-check

query: $(STAMP)  ## Query the semantic layer on the published serving copy, read-only: make query METRICS=mrr,logo_churn_rate [GROUP_BY=metric_time__fiscal_quarter] [ORDER=-metric_time__fiscal_quarter] [LIMIT=4]
	@test -n "$(METRICS)" || { echo "make query needs METRICS=name,name (see docs/kpis.md)" >&2; exit 2; }
	$(BIN)/cs-warehouse query --metrics "$(METRICS)" --group-by "$${GROUP_BY:-metric_time__month}" \
		--order "$(ORDER)" $(if $(LIMIT),--limit $(LIMIT))

browser:  ## Install headless Chromium for the report's browser test (idempotent; apt, needs root or sudo)
	scripts/chromium.sh

test-postgres: $(STAMP)  ## The PostgreSQL leg: a loopback server (scripts/postgres.sh), dbt build there, KPIs equal to DuckDB's
	eval "$$(scripts/postgres.sh)" && CSW_REQUIRE_ENGINE_LEGS=1 $(BIN)/python -m pytest -q -m postgres tests/engines

test-spark: $(STAMP)  ## The Spark leg: dbt build on a local SparkSession, KPIs equal to DuckDB's (CI runs it)
	scripts/java.sh
	CSW_REQUIRE_ENGINE_LEGS=1 $(BIN)/python -m pytest -q -m spark tests/engines

# The checks of a pull request (docs/add_a_metric.md "Pull requests"): lint of the files changed against BASE,
# then, given the production dbt artifacts (STATE, a folder with manifest.json; each published night keeps its
# own in warehouse/serving/dbt_state) and warehouse, dbt build
# state:modified+ with --defer on a private copy in OUT, and the KPI impact diff OUT/kpi_impact.md.
pr-check: $(STAMP)  ## Lint changed files, build what changed on a copy of production, write the KPI impact diff: make pr-check [BASE=origin/main] [STATE=warehouse/serving/dbt_state] [OUT=build/pr-check]
	$(BIN)/cs-warehouse pr-check --base "$${BASE:-origin/main}" --state "$${STATE:-warehouse/serving/dbt_state}" \
		--warehouse "$${CSW_DUCKDB_PATH:-warehouse/cs_warehouse.duckdb}" --out "$${OUT:-build/pr-check}"

.PHONY: bench
bench: $(STAMP)  ## Benchmark, not part of make test: make bench [SIZES=1M,10M,100M] [REPEATS=3 or 3,3,1, per size] (docs/performance.md)
	$(BIN)/cs-warehouse bench --sizes $${SIZES:-1M,10M,100M} --repeats $${REPEATS:-3} \
		--work-dir $${BENCH_DIR:-/tmp/bench} --out benchmarks/results.md
