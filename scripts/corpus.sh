#!/usr/bin/env bash
# corpus.sh STRONGSWAN_GIT_DIR: kited --check-config over strongSwan's own
# test scenarios (issue 14, Must show 2).
#
# Every testing/tests/*/*/hosts/*/etc/swanctl/swanctl.conf of the repository
# (a git directory, bare or .git) is extracted with its sibling files (the
# includes and credentials beside it) into a temporary directory, the
# testbed's address placeholders (PH_IP_MOON ...) replaced as strongSwan's
# testing/scripts/load-testconfig does from testing/testing.conf, and checked
# with `kited --check-config`.  Printed: how many files load, how many are
# refused, grouped by the first reason (counts), every refused key over all
# files, and every crash (an exit status other than 0 or 1, or a sanitizer
# report).  The certificates and keys the files name, which strongSwan's
# testbed makes at build time, are made up (scripts/corpus_creds.sh: a
# throwaway CA, keys and certificates in the temporary directory only).
# Nothing of the corpus is kept.
#
#   KITED=build-asan/kited scripts/corpus.sh /path/to/strongswan/.git
#
# KITED: the kited to run (default build/kited beside this script); an ASan
# build reports leaks and memory errors as crashes.  CORPUS_TIMEOUT: seconds
# per file (default 20).  CORPUS_CREDS=0: no made-up credentials.  Exit
# status: 0, or 1 when anything crashed.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
G=${1:?usage: corpus.sh STRONGSWAN_GIT_DIR}
KITED=${KITED:-$ROOT/build/kited}
TMO=${CORPUS_TIMEOUT:-20}
[ -x "$KITED" ] || { echo "corpus.sh: no kited at $KITED (build it, or set KITED)" >&2; exit 2; }
git --git-dir="$G" rev-parse --verify -q HEAD >/dev/null || { echo "corpus.sh: $G is not a git directory" >&2; exit 2; }

WORK=$(mktemp -d /tmp/kite-corpus.XXXXXX)
trap 'rm -rf "$WORK"' EXIT
git --git-dir="$G" archive HEAD testing/tests 2>/dev/null | tar -x -C "$WORK" --wildcards '*/etc/swanctl/*' 2>/dev/null || true

# the testbed's addresses (testing/testing.conf: HOSTNAMEIPV4/6 "host,ip,ip1 ...")
placeholders() {
  local conf
  conf=$(git --git-dir="$G" show HEAD:testing/testing.conf 2>/dev/null) || return 0
  for v in HOSTNAMEIPV4 HOSTNAMEIPV6; do
    local p=PH_IP
    [ "$v" = HOSTNAMEIPV6 ] && p=PH_IP6
    sed -n "/$v=\"/,/\"}/p" <<<"$conf" | sed -e 's/.*="//' -e 's/[\\"}]//g' |
      tr ' ' '\n' | { grep , || true; } | while IFS=, read -r host ip ip1; do
        H=$(tr a-z A-Z <<<"$host")
        if [ -n "$ip1" ]; then echo "s/${p}_${H}1\\b/$ip1/g"; fi
        echo "s/${p}_${H}\\b/$ip/g"
        if [ "$v" = HOSTNAMEIPV6 ]; then echo "s/PH_IPV6_${H}\\b/$ip/g"; fi
      done
  done
}
placeholders >"$WORK/subst.sed"
mapfile -t FILES < <(find "$WORK/testing" -path '*/hosts/*/etc/swanctl/swanctl.conf' 2>/dev/null | sort)
if [ -s "$WORK/subst.sed" ] && [ "${#FILES[@]}" -gt 0 ]; then
  find "$WORK/testing" -path '*/etc/swanctl/*' -type f -name '*.conf' -exec sed -i -f "$WORK/subst.sed" {} +
fi

# the certificates and keys the files name: strongSwan's testbed makes them at
# build time (testing/scripts/build-certs), the repository has none; throwaway
# ones, laid out beside each file as the testbed has them (corpus_creds.sh)
if [ "${CORPUS_CREDS:-1}" != 0 ] && [ "${#FILES[@]}" -gt 0 ]; then
  mapfile -t DIRS < <(printf '%s\n' "${FILES[@]}" | sed 's|/swanctl.conf$||')
  "$ROOT/scripts/corpus_creds.sh" "$WORK/creds" "${DIRS[@]}"
fi

# a reason without the file, line, names and values that differ per file
normalize() {
  sed -E -e 's/^kited: error: //' -e 's/^[^ ]*:[0-9]+: //' -e 's/^[^ ]*\.conf: //' \
    -e "s/^(connection|secret) '[^']*'( child '[^']*')?( (local|remote)[^:]*)?: //" \
    -e "s/^secrets: //" -e "s/^the top level: //" \
    -e 's/^([A-Za-z0-9_-]+) = .* (refused|ignored): /\1 \2: /' \
    -e "s/ \\(proposal '[^']*'\\)//" \
    -e "s/(invalid address|invalid traffic selector|invalid identity|connection|child|certificate|file) '[^']*'/\\1 '…'/g"
}

# per file: its exit status and what it printed on stderr (tagged with the
# file's number); sorted out in one pass afterwards (few processes per file)
n=0
: >"$WORK/status" && : >"$WORK/errs"
for f in "${FILES[@]}"; do
  n=$((n + 1))
  rc=0
  (cd "$(dirname "$f")" && exec timeout "$TMO" "$KITED" --check-config "$f") >/dev/null 2>"$WORK/err" || rc=$?
  echo "$n $rc ${f#"$WORK"/testing/tests/}" >>"$WORK/status"
  sed "s/^/$n /" "$WORK/err" >>"$WORK/errs"
done
# a crash: an exit status above 1, or a sanitizer's report
awk '$2 > 1 {print $1}' "$WORK/status" >"$WORK/crashed"
grep -E '^[0-9]+ .*(Sanitizer|runtime error:)' "$WORK/errs" | cut -d' ' -f1 >>"$WORK/crashed" || true
sort -un "$WORK/crashed" -o "$WORK/crashed"
crashed=$(wc -l <"$WORK/crashed")
loaded=$(awk 'FILENAME == ARGV[1] {c[$1] = 1; next} $2 == 0 && !($1 in c)' "$WORK/crashed" "$WORK/status" | wc -l)
refused=$(awk 'FILENAME == ARGV[1] {c[$1] = 1; next} $2 == 1 && !($1 in c)' "$WORK/crashed" "$WORK/status" | wc -l)
# the first error of each refused file, and every refusal
awk 'FILENAME == ARGV[1] {if ($2 == 1) r[$1] = 1; next} ($1 in r) && / kited: error: / && !seen[$1]++ {sub(/^[0-9]+ /, ""); print}' \
  "$WORK/status" "$WORK/errs" | normalize >"$WORK/first"
grep -E '^[0-9]+ kited: (error|also refused): ' "$WORK/errs" | sed -E 's/^[0-9]+ kited: (also refused|error): /kited: error: /' |
  normalize >"$WORK/all" || true
awk 'FILENAME == ARGV[1] {c[$1] = 1; next} ($1 in c) {print $3 ": exit " $2}' "$WORK/crashed" "$WORK/status" >"$WORK/crashes"

total=${#FILES[@]}
echo "strongSwan scenarios: $(git --git-dir="$G" describe --always --tags HEAD 2>/dev/null || echo HEAD), $total swanctl.conf files"
echo "kited: $KITED"
if [ -d "$WORK/creds" ]; then
  echo "throwaway credentials (corpus_creds.sh): $(find "$WORK/creds" -name 'key-*' | wc -l) keys, $(find "$WORK/creds" -name 'cert-*' | wc -l) certificates"
fi
echo "loaded: $loaded   refused: $refused   crashed: $crashed"
echo
echo "refused, by the first reason (files):"
sort "$WORK/first" | uniq -c | sort -rn | sed 's/^/  /'
echo
echo "every refusal in the refused files (occurrences, each key of each connection):"
sed -E 's/^([A-Za-z0-9_*-]+ refused): .*/\1/' "$WORK/all" | sort | uniq -c | sort -rn | sed 's/^/  /'
if [ "$crashed" -gt 0 ]; then
  echo
  echo "crashes:"
  sed 's/^/  /' "$WORK/crashes"
  exit 1
fi
exit 0
