#!/usr/bin/env bash
# netns/package (issue 16, Must show 1): the Debian package built from this
# tree (scripts/mkdeb.sh, `make deb`) installs with apt-get, its files are where
# a Debian admin looks (kited in /usr/sbin, kitectl in /usr/bin, man pages, the
# unit, the conffile /etc/kite/swanctl.conf enabled by nobody), the installed
# kited started as its unit starts it (the unit's own ExecStart line, with
# NOTIFY_SOCKET at a socket this test reads) says READY=1 once it serves, brings
# the tunnel of the packaged examples up between two namespaces (ping through
# it, kitectl status), and `apt-get purge kite` leaves no file behind.
# Needs root and dpkg/apt; skipped (77) if a kite package is already installed
# (this test installs and purges it: it will not touch an admin's own).
source "$(dirname "$0")/lib.sh"
need_root
command -v apt-get >/dev/null && command -v dpkg-deb >/dev/null || { echo "SKIP: no dpkg/apt"; exit 77; }
[ -c /dev/net/tun ] || { echo "SKIP: no /dev/net/tun"; exit 77; }
if dpkg-query -W -f='${Status}' kite 2>/dev/null | grep -q "ok installed\|config-files"; then
  echo "SKIP: a kite package is installed here; this test installs and purges its own"; exit 77
fi
# the package is a release build of its own: the sanitizer pass (make asan)
# has nothing to add to it, make check runs it
if grep -q "^KITE_SANITIZE:BOOL=ON" "$KITE_BUILD/CMakeCache.txt" 2>/dev/null; then
  echo "SKIP: the package test runs with the plain build (make check), not the sanitizer one"; exit 77
fi
NS_TAG=kpkg LEFT=kpkgl RIGHT=kpkgr
PKG_INSTALLED=0
pkg_cleanup() {
  local rc=$?
  if [ "$PKG_INSTALLED" = 1 ]; then
    for p in "${PIDS[@]:-}"; do [ -n "$p" ] && kill "$p" 2>/dev/null || true; done
    sleep 0.5
    apt-get purge -y -qq -o DPkg::Lock::Timeout=120 kite >/dev/null 2>&1 || true
  fi
  (exit "$rc")
  ns_cleanup
}
APT=(apt-get -y -qq -o DPkg::Lock::Timeout=120)

log "building the package"
deb=$(JOBS=2 "$KITE_ROOT/scripts/mkdeb.sh" "$WORK/build" "$WORK" | tail -n 1)
[ -f "$deb" ] || die "mkdeb made no package"
dpkg-deb -f "$deb" Depends | grep -q "libssl3" || die "Depends does not name libssl3: $(dpkg-deb -f "$deb" Depends)"
dpkg-deb -f "$deb" Depends | grep -q "libc6" || die "Depends does not name libc6"

ns_setup
trap pkg_cleanup EXIT
log "apt-get install $(basename "$deb")"
DEBIAN_FRONTEND=noninteractive "${APT[@]}" install "$deb" >"$WORK/apt-install.log" 2>&1 ||
  { cat "$WORK/apt-install.log"; die "apt-get install failed"; }
PKG_INSTALLED=1
dpkg-query -W -f='${Status}\n' kite | grep -q "install ok installed" || die "kite is not installed"
dpkg -L kite | sort > "$WORK/files"
for f in /usr/sbin/kited /usr/bin/kitectl /usr/bin/kite-load /usr/share/man/man1/kite-load.1.gz /usr/share/man/man8/kited.8.gz /usr/share/man/man8/kitectl.8.gz \
         /usr/share/man/man5/kite-swanctl.conf.5.gz /usr/lib/systemd/system/kite.service /etc/kite/swanctl.conf \
         /usr/share/doc/kite/examples/left.conf /usr/share/doc/kite/copyright; do
  grep -qx "$f" "$WORK/files" || die "$f is not in the package"
  [ -e "$f" ] || die "$f was not installed"
done
[ "$(stat -c %a /etc/kite/swanctl.conf)" = 600 ] || die "/etc/kite/swanctl.conf is not private"
dpkg-query -W -f='${Conffiles}\n' kite | grep -q "/etc/kite/swanctl.conf" || die "swanctl.conf is not a conffile"
# enabled by nobody: no wants link made by the package
[ ! -e /etc/systemd/system/multi-user.target.wants/kite.service ] || die "the package enabled kite.service"
# read the whole help before matching: `kited --help | grep -q` under pipefail
# fails whenever grep stops reading before kited's last write (SIGPIPE)
help_text=$(/usr/sbin/kited --help) || die "the installed kited does not run"
grep -q -- "--config" <<<"$help_text" || die "the installed kited's --help does not list --config"
man -l /usr/share/man/man8/kited.8.gz 2>&1 >/dev/null | grep . && die "man kited warns"

# ExecStart of the installed unit, with this test's configuration, run
# directory and control socket per namespace
exec_start=$(sed -n 's/^ExecStart=//p' /usr/lib/systemd/system/kite.service)
case "$exec_start" in "/usr/sbin/kited "*"--foreground"*) ;; *) die "unexpected ExecStart: $exec_start" ;; esac
grep -q '^Type=notify' /usr/lib/systemd/system/kite.service || die "the unit is not Type=notify"
notify_listen() { # notify_listen SOCKET OUT: the datagrams kited sends to NOTIFY_SOCKET
  python3 - "$1" "$2" <<'PY' &
import socket, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.bind(sys.argv[1]); s.settimeout(30)
with open(sys.argv[2], "a") as out:
    try:
        while True:
            out.write(s.recv(4096).decode() + "\n"); out.flush()
    except socket.timeout:
        pass
PY
  PIDS+=($!)
}
start_unit() { # start_unit NS SIDE CONF
  local dir=$WORK/$2 args
  mkdir -p "$dir"
  args=${exec_start//\/etc\/kite\/swanctl.conf/$3}
  args=${args//--run-dir \/run\/kite/--run-dir $dir}
  args=${args//unix:\/\/\/run\/charon.vici/unix:\/\/$dir\/charon.vici}
  notify_listen "$dir/notify.sock" "$dir/notify.log"
  for _ in $(seq 50); do [ -S "$dir/notify.sock" ] && break; sleep 0.1; done
  # shellcheck disable=SC2086 # the unit's command line, split as systemd splits it
  NOTIFY_SOCKET=$dir/notify.sock ip netns exec "$1" $args >"$dir/kited.log" 2>&1 &
  PIDS+=($!) KITEDS+=($!)
}
KITEDS=()
EX=/usr/share/doc/kite/examples
start_unit "$RIGHT" right $EX/right.conf
wait_for "$WORK/right/notify.log" "READY=1" 10 || die "right kited sent no READY=1"
start_unit "$LEFT" left $EX/left.conf
wait_for "$WORK/left/notify.log" "READY=1" 10 || die "left kited sent no READY=1"
log "both kited sent READY=1"
wait_for "$WORK/left/kited.log" "CHILD_SA .* established" 20 || die "no Child SA from the packaged example"
ip netns exec "$LEFT" ping -c 3 -i 0.2 -W 2 -I 10.1.0.1 10.2.0.1 >"$WORK/ping.log" || die "no ping through the tunnel"
ip netns exec "$LEFT" /usr/bin/kitectl --uri "unix://$WORK/left/charon.vici" status >"$WORK/status.log" ||
  die "kitectl status failed"
grep -q "demo" "$WORK/status.log" || { cat "$WORK/status.log"; die "kitectl status does not show the demo SA"; }
log "tunnel up from the packaged example; kitectl status: $(head -n 1 "$WORK/status.log")"
for p in "${KITEDS[@]}"; do kited_stop "$p"; done
wait_for "$WORK/left/notify.log" "STOPPING=1" 5 || die "no STOPPING=1 on the way out"
for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; wait "$p" 2>/dev/null || true; done
PIDS=()

log "apt-get purge kite"
DEBIAN_FRONTEND=noninteractive "${APT[@]}" purge kite >"$WORK/apt-purge.log" 2>&1 ||
  { cat "$WORK/apt-purge.log"; die "apt-get purge failed"; }
PKG_INSTALLED=0
dpkg-query -W -f='${Status}' kite 2>/dev/null | grep -q "installed\|config-files" && die "kite still known to dpkg"
left=0
while read -r f; do
  [ -d "$f" ] && continue # shared directories (/usr/bin, ...) stay
  [ -e "$f" ] && { echo "left behind: $f"; left=1; }
done < "$WORK/files"
for d in /etc/kite /usr/share/doc/kite /run/kite; do [ -e "$d" ] && { echo "left behind: $d"; left=1; }; done
[ "$left" = 0 ] || die "the purge left files behind"
log "PASS: built, installed, READY=1, tunnel up, purged leaving nothing"
