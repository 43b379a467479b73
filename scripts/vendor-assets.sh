#!/usr/bin/env bash
# Copy front-end assets from npm packages into the static folder. Run after changing
# package.json; commit the copies (wuyi runs where there is no internet and no CDN).
set -euo pipefail
cd "$(dirname "$0")/.."
npm install --no-save --silent
dest=src/wuyi/core/static/vendor
mkdir -p "$dest"
cp node_modules/htmx.org/dist/htmx.min.js "$dest/htmx.min.js"
cp node_modules/echarts/dist/echarts.min.js "$dest/echarts.min.js"
echo "copied into $dest"
