#!/usr/bin/env bash
# Benchmarks `evident verify` over a generated history of 1,000 signed
# snapshots against `git fsck` (and `git log %G?`) on the same repository, and
# rewrites the "evidence verification" section of bench/RESULTS.md.
# Needs go, git and ssh-keygen. Pass -n N for another snapshot count,
# -profile DIR for CPU and heap profiles of verify.
set -euo pipefail
cd "$(dirname "$0")/.."
exec go run ./bench/verify -results bench/RESULTS.md "$@"
