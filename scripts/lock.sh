#!/bin/sh
# Regenerate constraints.txt, the exact versions that scripts/test.sh, scripts/run.sh and CI
# install, from the ranges in pyproject.toml. Run it when a dependency is added, or with
# --upgrade (every package) or --upgrade-package NAME (one) to take newer releases on purpose;
# then run the whole suite and commit both files together.
# Usage: sh scripts/lock.sh [--upgrade | --upgrade-package NAME ...]
set -eu
cd "$(dirname "$0")/.."
tools="${TMPDIR:-/tmp}/guichet-pip-tools"
[ -x "$tools/bin/pip-compile" ] || { python3 -m venv "$tools" && "$tools/bin/pip" install --quiet pip-tools; }
exec "$tools/bin/pip-compile" --quiet --extra dev --extra postgresql --extra server --strip-extras \
  --allow-unsafe --no-emit-index-url --no-emit-find-links --output-file constraints.txt "$@" \
  pyproject.toml
