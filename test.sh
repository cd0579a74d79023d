#!/usr/bin/env bash
# Set up .venv with the development tools on first use, then lint, type-check and test.
# Extra arguments go to pytest, e.g. `./test.sh -k storage -x`.
set -euo pipefail
cd "$(dirname "$0")"
.ci/venv.sh dev
.venv/bin/python -m i18n.catalog compile
.venv/bin/ruff check .
.venv/bin/mypy
.venv/bin/python -m pytest "$@"
