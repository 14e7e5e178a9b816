#!/bin/sh
# Copy Leaflet (the location field's map) into factory/static/leaflet/. Only needed after
# changing map/package.json: the copy is committed, so Guichet, its tests and its wheel never
# need npm. Installs exactly what map/package-lock.json pins.
set -eu
cd "$(dirname "$0")/../map"
npm ci --no-audit --no-fund
target=../factory/static/leaflet
rm -rf "$target"
mkdir -p "$target/images"
cp node_modules/leaflet/dist/leaflet.js node_modules/leaflet/dist/leaflet.css "$target/"
cp node_modules/leaflet/dist/images/*.png "$target/images/"
cp node_modules/leaflet/LICENSE "$target/LICENSE"
