#!/usr/bin/env bash
# Benchmarks the RBAC evaluator on a synthetic cluster of 2,000 roles,
# 10,000 bindings and 5,000 subjects: `go test -bench PrivilegedPopulation
# -benchmem -count 5 ./generator/rbac/` (New+Subjects+Privileged beside
# upstream's binding scan) and the peak RSS of one full evaluation process
# under /usr/bin/time -v; rewrites the "RBAC evaluation" section of
# bench/RESULTS.md. Needs go and GNU time. Pass -count N or -runs N.
set -euo pipefail
cd "$(dirname "$0")/.."
exec go run ./bench/rbac -results bench/RESULTS.md "$@"
