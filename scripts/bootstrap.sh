#!/usr/bin/env bash
# Idempotent set-up of a fresh machine: system packages (Java, Maven, PostgreSQL, promtool, Chromium and its
# driver, npm), the virtualenv, the pinned Python packages and the web app's npm packages. Safe to run every
# time: it only installs what is missing or changed.
set -euo pipefail
cd "$(dirname "$0")/.."

missing=()
command -v java >/dev/null 2>&1 || missing+=(openjdk-17-jre-headless)
command -v mvn >/dev/null 2>&1 || missing+=(maven)
compgen -G "/usr/lib/postgresql/*/bin/postgres" >/dev/null || missing+=(postgresql)
command -v runuser >/dev/null 2>&1 || missing+=(util-linux)
command -v promtool >/dev/null 2>&1 || missing+=(prometheus)  # promtool checks our /metrics exposition
command -v chromium >/dev/null 2>&1 || missing+=(chromium fonts-dejavu-core)  # the dashboard and web app tests' browser
command -v chromedriver >/dev/null 2>&1 || missing+=(chromium-driver)  # WebDriver for the web app tests
command -v npm >/dev/null 2>&1 || missing+=(npm)  # the web app's map data and the accessibility checker come from npm
for extra in ${TRACEPIPE_APT_EXTRA:-}; do dpkg -s "$extra" >/dev/null 2>&1 || missing+=("$extra"); done
if ((${#missing[@]})); then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    echo "bootstrap: installing ${missing[*]}"
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
  else
    echo "bootstrap: please install: ${missing[*]} (e.g. sudo apt-get install ${missing[*]})" >&2
    exit 1
  fi
fi

python=${PYTHON:-python3.11}
command -v "$python" >/dev/null 2>&1 || python=python3
"$python" -c 'import sys; sys.exit(sys.version_info[:2] != (3, 11))' || {
  echo "bootstrap: Python 3.11 is required (found $("$python" --version 2>&1))" >&2; exit 1; }

[ -x .venv/bin/python ] || "$python" -m venv .venv
stamp=$(cat pyproject.toml constraints.txt | sha256sum | cut -c1-16)
if [ "$(cat .venv/.tracepipe-stamp 2>/dev/null)" != "$stamp" ]; then
  echo "bootstrap: installing Python packages (pinned by constraints.txt)"
  .venv/bin/python -m pip install -q --upgrade "pip==26.3"
  .venv/bin/python -m pip install -q -c constraints.txt -e '.[test]'
  echo "$stamp" > .venv/.tracepipe-stamp
fi

# The web app's npm packages (maps, axe-core), pinned by web/package-lock.json; reinstalled when it changes.
web_stamp=$(sha256sum web/package-lock.json | cut -c1-16)
if [ "$(cat web/node_modules/.tracepipe-stamp 2>/dev/null)" != "$web_stamp" ]; then
  echo "bootstrap: installing the web app's npm packages (pinned by web/package-lock.json)"
  (cd web && npm ci --no-audit --no-fund --loglevel=error >/dev/null)
  echo "$web_stamp" > web/node_modules/.tracepipe-stamp
fi
