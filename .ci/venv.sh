#!/usr/bin/env bash
# Make .venv (Python 3.11) and install the project from its own files: pyproject.toml for
# what it needs, constraints.txt for the exact versions. Usage: .ci/venv.sh [dev]
# Installs again only when pyproject.toml or constraints.txt changed since the last time;
# pip's output goes to .venv/install.log, shown only when the install fails.
set -euo pipefail
cd "$(dirname "$0")/.."
extra=${1:-}
python=${PYTHON:-python3.11}
command -v "$python" >/dev/null 2>&1 || python=python3
if ! "$python" -c 'import sys; sys.exit(sys.version_info[:2] != (3, 11))'; then
  echo "partnerbot needs Python 3.11 (found $("$python" --version 2>&1))" >&2
  exit 1
fi
[ -x .venv/bin/python ] || "$python" -m venv .venv
fresh() { [ -f "$1" ] && [ ! pyproject.toml -nt "$1" ] && [ ! constraints.txt -nt "$1" ]; }
stamp=.venv/.installed${extra:+-$extra}
if fresh "$stamp" || { [ -z "$extra" ] && fresh .venv/.installed-dev; }; then
  exit 0
fi
echo "installing partnerbot${extra:+ with its $extra tools} into .venv ..." >&2
if ! { .venv/bin/python -m pip install --disable-pip-version-check --upgrade "pip>=24" &&
       .venv/bin/python -m pip install --disable-pip-version-check -c constraints.txt \
         -e ".${extra:+[$extra]}"; } >.venv/install.log 2>&1; then
  cat .venv/install.log >&2
  echo "installing failed; the log above is in .venv/install.log" >&2
  exit 1
fi
touch "$stamp"
