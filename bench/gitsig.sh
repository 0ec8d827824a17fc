#!/usr/bin/env bash
# Benchmarks evident's git signature classification against git itself and
# rewrites the "git signature classification" section of bench/RESULTS.md.
# Needs go, git, gpg and ssh-keygen. Pass -n N for another commit count.
set -euo pipefail
cd "$(dirname "$0")/.."
exec go run ./bench/gitsig -results bench/RESULTS.md "$@"
