#!/usr/bin/env bash
# Set up .venv on first use, then run the bot: `./run.sh` serves Rocket.Chat as configured
# in .env (the local console when ROCKETCHAT_URL is unset); `./run.sh console --as maria`,
# `./run.sh check-config`, `./run.sh export` pass their arguments to bot.py.
set -euo pipefail
cd "$(dirname "$0")"
.ci/venv.sh
.venv/bin/python -m i18n.catalog compile
exec .venv/bin/python bot.py "$@"
