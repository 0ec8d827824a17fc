#!/usr/bin/env bash
# Benchmarks `evident build` over a generated history of 730 daily snapshots
# of an organisation with 50 repositories and 20,000 merged pull requests:
# the full build, and the rebuild after one new snapshot. Rewrites the
# "site build" section of bench/RESULTS.md. Needs go and git; generating
# the history takes a while (the real pipeline runs once per day).
set -euo pipefail
cd "$(dirname "$0")/.."
exec go run ./bench/build -results bench/RESULTS.md "$@"
