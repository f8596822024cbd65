#!/usr/bin/env bash
# Run every libFuzzer target in BUILD for SECONDS each, starting from its seed
# corpus in tests/fuzz/corpus/<target>/ (copied, so the tree is not modified).
# Usage: scripts/fuzz.sh BUILD SECONDS
set -euo pipefail
build=${1:-build-fuzz}
secs=${2:-60}
root=$(cd "$(dirname "$0")/.." && pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
found=0
for bin in "$build"/*_fuzz; do
  [ -x "$bin" ] || continue
  found=1
  name=$(basename "$bin")
  mkdir -p "$work/$name"
  [ -d "$root/tests/fuzz/corpus/$name" ] && cp -r "$root/tests/fuzz/corpus/$name/." "$work/$name/"
  echo "== $name: ${secs}s"
  out=$("$bin" -max_total_time="$secs" -print_final_stats=1 -artifact_prefix="$work/" \
         "$work/$name" 2>&1 | grep -E '^(stat::number_of_executed_units|stat::peak_rss_mb|Done|==[0-9]+==ERROR|SUMMARY)' || true)
  echo "$out"
  # a sanitizer report on the seed corpus (a leak found while it is read) leaves no artifact
  if grep -qE '^==[0-9]+==ERROR|^SUMMARY' <<<"$out"; then
    echo "fuzz.sh: $name reported an error (above)"; exit 1
  fi
  # libFuzzer exits non-zero on a finding; re-check via artifacts
  if ls "$work"/crash-* "$work"/leak-* "$work"/timeout-* "$work"/oom-* >/dev/null 2>&1; then
    echo "fuzz.sh: $name produced a finding:"; ls "$work"/crash-* "$work"/leak-* "$work"/timeout-* "$work"/oom-* 2>/dev/null
    exit 1
  fi
done
[ "$found" = 1 ] || { echo "fuzz.sh: no fuzz targets in $build" >&2; exit 1; }
