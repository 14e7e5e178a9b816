#!/bin/sh
# Rebuild the console's procedure editor (CodeMirror 6) into factory/static/console-editor.js.
# Only needed after changing editor/src or editor/package.json: the bundle is committed, so
# Guichet, its tests and its wheel never need npm. Installs exactly what package-lock.json
# pins, then bundles and minifies with esbuild.
set -eu
cd "$(dirname "$0")/../editor"
npm ci --no-audit --no-fund
npm run build
