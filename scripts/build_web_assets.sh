#!/usr/bin/env bash
# Rebuild the web app's shipped map data from the pinned npm packages (web/package-lock.json).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/bootstrap.sh
node web/build_maps.mjs
echo "pipeline/web/static/maps/ rebuilt"
