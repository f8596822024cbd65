#!/usr/bin/env bash
# tools/install (issue 16): `make install` into a staging DESTDIR puts kited in
# sbin, kitectl in bin, the man pages, the unit (pointing at the installed
# kited), docs and an example configuration; a second install keeps an edited
# configuration; `make uninstall` removes everything it installed and keeps the
# configuration.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
WORK=$(mktemp -d /tmp/kite-install.XXXXXX)
trap 'rm -rf "$WORK"' EXIT
B=${KITE_BUILD:-$ROOT/build} D=$WORK/dest
[ -x "$B/kited" ] && [ -x "$B/kitectl" ] || { echo "FAIL: no kited/kitectl in $B (build first)"; exit 1; }
# the build directory's own manifest (from a real make install) is put back afterwards
[ -f "$B/install_manifest.txt" ] && cp "$B/install_manifest.txt" "$WORK/manifest.saved"
trap 'if [ -f "$WORK/manifest.saved" ]; then cp "$WORK/manifest.saved" "$B/install_manifest.txt"; else rm -f "$B/install_manifest.txt"; fi; rm -rf "$WORK"' EXIT
DESTDIR=$D cmake --install "$B" --prefix /opt/kite >"$WORK/install.log"
SYSCONF=$(sed -n 's/^KITE_SYSCONFDIR:PATH=//p' "$B/CMakeCache.txt")
for f in opt/kite/sbin/kited opt/kite/bin/kitectl opt/kite/share/man/man8/kited.8 opt/kite/share/man/man8/kitectl.8 \
         opt/kite/share/man/man5/kite-swanctl.conf.5 opt/kite/lib/systemd/system/kite.service \
         opt/kite/share/doc/kite/examples/left.conf "${SYSCONF#/}/kite/swanctl.conf"; do
  [ -e "$D/$f" ] || { echo "FAIL: make install did not install /$f"; exit 1; }
done
grep -q "^ExecStart=/opt/kite/sbin/kited .*--config $SYSCONF/kite/swanctl.conf" "$D/opt/kite/lib/systemd/system/kite.service" ||
  { echo "FAIL: the unit does not start the installed kited"; exit 1; }
[ "$(stat -c %a "$D$SYSCONF/kite/swanctl.conf")" = 600 ] || { echo "FAIL: the configuration is not private"; exit 1; }
"$D/opt/kite/sbin/kited" --help >/dev/null
# the unit's sandboxing, as systemd rates it (docs/daemon.md reports the score)
if systemd-analyze security --help 2>/dev/null | grep -q -- "--offline"; then
  score=$(systemd-analyze security --offline=yes "$D/opt/kite/lib/systemd/system/kite.service" 2>/dev/null |
          sed -n 's/.*Overall exposure level for kite.service: \([0-9.]*\).*/\1/p')
  echo "systemd-analyze security: kite.service exposure $score"
  awk -v s="$score" 'BEGIN { exit !(s != "" && s + 0 <= 3.0) }' || { echo "FAIL: exposure '$score' above 3.0"; exit 1; }
fi
# an admin's configuration is never overwritten
echo "# edited" >> "$D$SYSCONF/kite/swanctl.conf"
DESTDIR=$D cmake --install "$B" --prefix /opt/kite >"$WORK/install2.log"
grep -q "# edited" "$D$SYSCONF/kite/swanctl.conf" || { echo "FAIL: a second install overwrote the configuration"; exit 1; }
grep -q "Kept: .*swanctl.conf" "$WORK/install2.log" || { echo "FAIL: the second install did not say it kept the configuration"; exit 1; }
# uninstall: everything from the manifest goes, the configuration stays
grep -q "^/opt/kite/sbin/kited$" "$B/install_manifest.txt" || { echo "FAIL: no kited in the install manifest"; exit 1; }
DESTDIR=$D "$ROOT/scripts/uninstall.sh" "$B" >"$WORK/uninstall.log"
left=$(find "$D" -type f | grep -v "$SYSCONF/kite/swanctl.conf$" || true)
[ -z "$left" ] || { echo "FAIL: make uninstall left:"; echo "$left"; exit 1; }
[ -f "$D$SYSCONF/kite/swanctl.conf" ] || { echo "FAIL: make uninstall removed the configuration"; exit 1; }
echo "PASS: install, kept configuration, uninstall"
