#!/usr/bin/env bash
# Make .venv (Python 3.11) and install the project from its own files: pyproject.toml for
# what it needs, constraints.txt for the exact versions. Usage: .ci/venv.sh [dev]
# Reinstalls only when pyproject.toml or constraints.txt changed since the last install.
set -euo pipefail
cd "$(dirname "$0")/.."
extra=${1:-}
python=${PYTHON:-python3.11}
command -v "$python" >/dev/null 2>&1 || python=python3
"$python" - <<'PY' || { echo "partnerbot needs Python 3.11 (found $("$python" --version 2>&1))" >&2; exit 1; }
import sys
sys.exit(sys.version_info[:2] != (3, 11))
PY
[ -x .venv/bin/python ] || "$python" -m venv .venv
stamp=.venv/.installed${extra:+-$extra}
if [ ! -f "$stamp" ] || [ pyproject.toml -nt "$stamp" ] || [ constraints.txt -nt "$stamp" ]; then
  .venv/bin/python -m pip install --quiet --disable-pip-version-check --upgrade "pip>=24"
  .venv/bin/python -m pip install --quiet --disable-pip-version-check -c constraints.txt \
    -e ".${extra:+[$extra]}"
  touch "$stamp"
fi
