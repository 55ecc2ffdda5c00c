#!/usr/bin/env bash
# The stateful property test offline: TOTAL random sequences (default 10,000) of 50 steps on each
# venue, in batches of BATCH (default 1,000) per process, each batch with its own seed (from
# FIRST_SEED, default 1, so runs can continue one another).
# A program-test bank is freed only when its process ends (the runtime's program cache holds the
# bank forks that hold the bank; see the README's Tests), so one long process grows without
# bound; a batch per process keeps memory flat. Prints a row per batch; stops at
# the first failing batch, whose seed reproduces it:
#   BALLAST_STATEFUL_CASES=<batch> PROPTEST_RNG_SEED=<seed> cargo test -p ballast-tests \
#     --test <binary> -- random_sequences_keep_the_invariants
set -euo pipefail
cd "$(dirname "$0")/.."
total="${TOTAL:-10000}"
batch="${BATCH:-1000}"
first_seed="${FIRST_SEED:-1}"
binaries="${BINARIES:-stateful stateful_save}"
export RUST_LOG="${RUST_LOG:-error,solana_program_runtime::loaded_programs=off}"

cargo test -p ballast-tests --locked --no-run $(printf -- '--test %s ' $binaries) >/dev/null 2>&1
echo "| binary | seed | sequences | seconds |"
echo "|---|---:|---:|---:|"
start_all=$SECONDS
for binary in $binaries; do
  for ((seed = first_seed; (seed - first_seed) * batch < total; seed++)); do
    start=$SECONDS
    BALLAST_STATEFUL_CASES="$batch" PROPTEST_RNG_SEED="$seed" \
      cargo test -p ballast-tests --locked --test "$binary" -- random_sequences_keep_the_invariants --quiet \
      >"target/stateful-offline-$binary-$seed.log" 2>&1 \
      || { echo "$binary, seed $seed: FAILED (target/stateful-offline-$binary-$seed.log)"; exit 1; }
    echo "| $binary | $seed | $batch | $((SECONDS - start)) |"
  done
done
echo "all passed: $((SECONDS - start_all)) s"
