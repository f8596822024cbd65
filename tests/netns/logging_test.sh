#!/usr/bin/env bash
# netns/logging (issue 16): where kited's log goes and how it reads.
#  1. detached without --log-file: syslog datagrams (facility daemon) at
#     --syslog-socket, "kited[PID]: 01[DMN] ..." with the daemon's own pid;
#  2. --log-format json --log-file F: every line one JSON object with time,
#     level, subsys, msg;
#  3. --log-level 0,ike=2,cfg=-1: per-subsystem levels (IKE lines up to 2, no
#     CFG line, no level-1 DMN line);
#  4. a bad --log-level list is refused with the reason (exit 2).
source "$(dirname "$0")/lib.sh"
need_root
[ -x "$KITE_BUILD/kited" ] || die "no kited in $KITE_BUILD"
ns_setup
kite_conf lab 192.0.2.1 192.0.2.2 10.1.0.0/24 10.2.0.0/24 aes256gcm16-prfsha256-x25519 aes256gcm16 start >"$WORK/k.conf"
mkdir -p "$WORK/sys" "$WORK/json"

python3 - "$WORK/sys/log.sock" "$WORK/sys/lines" <<'PY' &
import socket, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.bind(sys.argv[1]); s.settimeout(20)
with open(sys.argv[2], "a") as out:
    try:
        while True:
            out.write(s.recv(4096).decode() + "\n"); out.flush()
    except socket.timeout:
        pass
PY
PIDS+=($!)
for _ in $(seq 50); do [ -S "$WORK/sys/log.sock" ] && break; sleep 0.1; done
# detached: kited forks; its pid is in the pid file
ip netns exec "$LEFT" "$KITE_BUILD/kited" --config "$WORK/k.conf" --run-dir "$WORK/sys" --no-dataplane \
  --vici off --syslog-socket "$WORK/sys/log.sock" 2>"$WORK/sys/stderr" || die "detached kited did not start"
for _ in $(seq 50); do [ -s "$WORK/sys/kited.pid" ] && break; sleep 0.1; done
dpid=$(cat "$WORK/sys/kited.pid")
PIDS+=("$dpid")
wait_for "$WORK/sys/lines" "initiating IKE_SA lab" 10 || { cat "$WORK/sys/lines" "$WORK/sys/stderr"; die "no syslog lines"; }
grep -qE "^<30>[A-Z][a-z]{2} [ 0-9][0-9] [0-9:]{8} kited\[$dpid\]: 01\[DMN\] kited starting" "$WORK/sys/lines" ||
  { cat "$WORK/sys/lines"; die "no daemon.info 'kited starting' line with the daemon's pid $dpid"; }
kill "$dpid"
wait_for "$WORK/sys/lines" "kited\[$dpid\]: 01\[DMN\] kited stopped" 5 || die "no 'kited stopped' in syslog"
log "syslog: $(wc -l <"$WORK/sys/lines") datagrams from kited[$dpid], e.g. $(head -n 1 "$WORK/sys/lines")"

# JSON lines and per-subsystem levels
ip netns exec "$LEFT" "$KITE_BUILD/kited" --config "$WORK/k.conf" --foreground --run-dir "$WORK/json" --no-dataplane \
  --vici off --log-format json --log-file "$WORK/json/kited.json" --log-level 0,ike=2,cfg=-1 >/dev/null 2>&1 &
jp=$!
PIDS+=($jp)
wait_for "$WORK/json/kited.json" "initiating IKE_SA" 10 || die "no JSON log"
sleep 1
kited_stop "$jp"
python3 - "$WORK/json/kited.json" <<'PY' || die "the JSON log is not what it should be"
import json, sys
lines = open(sys.argv[1]).read().splitlines()
assert lines, "empty"
seen = set()
for l in lines:
    o = json.loads(l)                      # every line one object
    assert set(o) == {"time", "level", "subsys", "msg"}, o
    assert o["time"].endswith("Z") and "T" in o["time"], o
    lv, ss = o["level"], o["subsys"]
    assert ss != "CFG", o                  # cfg=-1: silent
    assert lv <= (2 if ss == "IKE" else 0), o
    seen.add((ss, lv))
assert ("IKE", 1) in seen, seen            # ike=2 lets level 1 and 2 through
print("json: %d lines, (subsystem, level) seen: %s" % (len(lines), sorted(seen)))
PY

set +e
ip netns exec "$LEFT" "$KITE_BUILD/kited" --config "$WORK/k.conf" --log-level ike=7 >"$WORK/bad.out" 2>&1
rc=$?
set -e
[ "$rc" = 2 ] || die "a bad --log-level exited $rc, not 2"
grep -q "log level '7' is not a number from -1 to 4" "$WORK/bad.out" || die "no reason for the bad --log-level"
log "PASS: syslog datagrams, JSON lines, per-subsystem levels, refusal"
