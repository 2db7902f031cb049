#!/usr/bin/env bash
# Lint the GitHub Actions workflows (.github/workflows/*.yml), or the files given as arguments (pre-commit).
# actionlint when it is installed (.venv/bin or PATH): expressions, job graph, shell in `run:`, deprecated
# action runtimes. Otherwise check-jsonschema (the dev extra) against the workflow schema it ships (no network).
# Neither installed: a message and exit 0, so `make lint` runs on a virtualenv made before the linter was locked.
set -euo pipefail
cd "$(dirname "$0")/.."
if [ "$#" -eq 0 ]; then
    shopt -s nullglob
    set -- .github/workflows/*.yml .github/workflows/*.yaml
fi
[ "$#" -gt 0 ] || { echo "lint-workflows: no workflow files"; exit 0; }
if [ -x .venv/bin/actionlint ]; then
    exec .venv/bin/actionlint "$@"
elif command -v actionlint >/dev/null 2>&1; then
    exec actionlint "$@"
elif [ -x .venv/bin/check-jsonschema ]; then
    exec .venv/bin/check-jsonschema --builtin-schema vendor.github-workflows "$@"
fi
echo "lint-workflows: SKIPPED, no workflow linter installed (check-jsonschema is in pyproject's dev extra;" \
    "requirements.lock gets it with 'make lock', then 'make venv'; or put actionlint on PATH)"
