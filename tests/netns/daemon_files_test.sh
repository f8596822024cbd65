#!/usr/bin/env bash
# Issue 10 finding 8: kited's pid and log files are never opened through a
# symbolic link (one planted there would have kited, as root, write wherever
# it points).  In a namespace of its own (its own UDP 500), kited with
# --no-dataplane:
#  1. run-dir/kited.pid is a symlink: kited refuses to start, says why, and
#     the link's target is untouched; a directory there is refused the same way
#  2. --log-file is a symlink: kited refuses to start, the target untouched
#  3. a stale regular pid file is replaced by one holding kited's pid
source "$(dirname "$0")/lib.sh"
need_root
[ -x "$KITE_BUILD/kited" ] || die "no kited in $KITE_BUILD"
NS=${NS_TAG}f
trap ns_cleanup EXIT
ns_new "$NS"
mkdir -p "$WORK/f/run"
kite_conf lab 127.0.0.1 127.0.0.2 10.1.0.0/24 10.2.0.0/24 aes256gcm16-prfsha256-x25519 aes256gcm16 none >"$WORK/f/k.conf"

run_kited() { # [ARGS...]: kited in the foreground for at most 3 s; its exit status
  local rc=0
  ip netns exec "$NS" timeout 3 "$KITE_BUILD/kited" --config "$WORK/f/k.conf" --foreground --no-dataplane \
    --run-dir "$WORK/f/run" "$@" >"$WORK/f/out.log" 2>&1 || rc=$?
  echo "$rc"
}

log "== 1. the pid file is a symbolic link"
echo victim >"$WORK/f/victim"
ln -s "$WORK/f/victim" "$WORK/f/run/kited.pid"
rc=$(run_kited)
[ "$rc" = 1 ] || { cat "$WORK/f/out.log"; die "kited exited $rc with a symlinked pid file (expected 1)"; }
grep -q "kited.pid is a symbolic link: refused" "$WORK/f/out.log" || { cat "$WORK/f/out.log"; die "no clear error"; }
[ "$(cat "$WORK/f/victim")" = victim ] || die "the symlink's target was written"
[ -L "$WORK/f/run/kited.pid" ] || die "the symlink was removed"
rm "$WORK/f/run/kited.pid"
mkdir "$WORK/f/run/kited.pid"
rc=$(run_kited)
[ "$rc" = 1 ] && grep -q "kited.pid is not a regular file: refused" "$WORK/f/out.log" ||
  { cat "$WORK/f/out.log"; die "a directory in the pid file's place was not refused ($rc)"; }
rmdir "$WORK/f/run/kited.pid"

log "== 2. the log file is a symbolic link"
ln -s "$WORK/f/victim" "$WORK/f/log-link"
rc=$(run_kited --log-file "$WORK/f/log-link")
[ "$rc" = 1 ] || { cat "$WORK/f/out.log"; die "kited exited $rc with a symlinked log file (expected 1)"; }
grep -q "log file $WORK/f/log-link is a symbolic link: refused" "$WORK/f/out.log" || { cat "$WORK/f/out.log"; die "no clear error"; }
[ "$(cat "$WORK/f/victim")" = victim ] || die "the log file symlink's target was written"

log "== 3. a stale pid file is replaced"
echo 999999 >"$WORK/f/run/kited.pid"
ip netns exec "$NS" "$KITE_BUILD/kited" --config "$WORK/f/k.conf" --foreground --no-dataplane \
  --run-dir "$WORK/f/run" --log-file "$WORK/f/kited.log" >"$WORK/f/out.log" 2>&1 &
PIDS+=($!)
wait_for "$WORK/f/kited.log" "kited starting" 5 || { cat "$WORK/f/out.log"; die "kited did not start"; }
[ "$(cat "$WORK/f/run/kited.pid")" = "${PIDS[-1]}" ] || die "pid file holds '$(cat "$WORK/f/run/kited.pid")', not ${PIDS[-1]}"
[ "$(stat -c %a "$WORK/f/kited.log")" = 640 ] || die "log file mode $(stat -c %a "$WORK/f/kited.log")"
kited_stop "${PIDS[-1]}"
log "PASS"
