#!/usr/bin/env bash
# Runs every cargo-fuzz target of fuzz/ for N seconds each (default 30), one job each, and
# prints the executions and crashes per target. Needs the nightly toolchain and cargo-fuzz
# (`cargo install cargo-fuzz`). The corpora grow in fuzz/corpus/<target>/; crashes land in
# fuzz/artifacts/<target>/ and become regression inputs of tests/fuzz_corpus.rs (stable).
#
#   ./scripts/fuzz.sh [SECONDS] [TARGET...]
set -euo pipefail
repo=$(cd "$(dirname "$0")/.." && pwd)
cd "$repo/fuzz"
seconds=${1:-30}
shift || true
targets=("$@")
if [ ${#targets[@]} -eq 0 ]; then
  mapfile -t targets < <(cargo +nightly fuzz list)
fi
cargo +nightly fuzz build --release
status=0
for target in "${targets[@]}"; do
  mkdir -p "corpus/$target" "artifacts/$target"
  log="$repo/target/fuzz-$target.log"
  mkdir -p "$repo/target"
  if cargo +nightly fuzz run --release "$target" "corpus/$target" -- \
      -max_total_time="$seconds" -jobs=1 -workers=1 -max_len=65536 -print_final_stats=1 \
      >"$log" 2>&1; then
    result=ok
  else
    result=CRASH
    status=1
  fi
  runs=$(grep -o 'stat::number_of_executed_units: *[0-9]*' "$log" | grep -o '[0-9]*$' | tail -1)
  echo "$target: ${runs:-?} executions in ${seconds} s: $result (log: $log)"
done
exit "$status"
