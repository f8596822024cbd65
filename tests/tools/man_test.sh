#!/usr/bin/env bash
# tools/man (issue 16, Must show 4): every man page renders with groff's
# warnings all on (-ww) and man -l without a word on stderr, and each names what
# it documents (kited's options as `kited --help` lists them).
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
BUILD=${KITE_BUILD:-$ROOT/build}
command -v groff >/dev/null || { echo "SKIP: no groff"; exit 77; }
fail=0
for page in "$ROOT"/man/*.[0-9]; do
  err=$(groff -ww -z -man -Tutf8 "$page" 2>&1) || { echo "FAIL: groff exit status for $page"; fail=1; }
  [ -z "$err" ] || { echo "FAIL: groff -ww warns for $(basename "$page"):"; echo "$err"; fail=1; }
  if command -v man >/dev/null; then
    err=$(MANWIDTH=80 man --warnings -l "$page" 2>&1 >/dev/null) || true
    [ -z "$err" ] || { echo "FAIL: man -l warns for $(basename "$page"):"; echo "$err"; fail=1; }
  fi
  echo "ok: $(basename "$page")"
done
# kited(8) documents every option kited --help lists
if [ -x "$BUILD/kited" ]; then
  txt=$(groff -man -Tascii -P-cbou "$ROOT/man/kited.8" 2>/dev/null)
  for opt in $("$BUILD/kited" --help | grep -oE -- '--[a-z][a-z-]+' | sort -u); do
    grep -qF -- "$opt" <<<"$txt" || { echo "FAIL: kited(8) does not document $opt"; fail=1; }
  done
fi
exit "$fail"
