#!/bin/sh
# Set up a local virtual environment with the test tools and run the whole test suite.
# Usage: sh scripts/test.sh [pytest options]
set -eu
cd "$(dirname "$0")/.."
[ -x .venv/bin/python ] || python3 -m venv .venv
.venv/bin/python -m pip install --quiet -c constraints.txt -e '.[dev]'
.venv/bin/python -m ruff check .
exec .venv/bin/python -m pytest "$@"
