#!/bin/sh
# Set up Guichet in a local virtual environment and run it on the embedded default
# (SQLite in ./var, the worker as a thread, mail written to ./var/mail), with the example
# procedures published and demo accounts. Usage: sh scripts/run.sh [--port 8000]
set -eu
cd "$(dirname "$0")/.."
[ -x .venv/bin/python ] || python3 -m venv .venv
.venv/bin/python -m pip install --quiet -c constraints.txt -e .
# The example site config reads its connectors' secrets from the environment; for the
# demonstration only, placeholders are used when they are not set.
export GUICHET_SMTP_PASSWORD="${GUICHET_SMTP_PASSWORD:-demo-not-a-secret}"
export GUICHET_WEBHOOK_SECRET="${GUICHET_WEBHOOK_SECRET:-demo-not-a-secret}"
export GUICHET_AMQP_URL="${GUICHET_AMQP_URL:-amqp://guest:guest@127.0.0.1:5672/}"
export GUICHET_API_PARTICULIER_TOKEN="${GUICHET_API_PARTICULIER_TOKEN:-demo-not-a-secret}"
.venv/bin/guichet check examples/ --site examples/guichet.yaml
exec .venv/bin/guichet serve --site examples/guichet.yaml --procedures examples --demo "$@"
