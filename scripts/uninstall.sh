#!/usr/bin/env bash
# make uninstall: remove every file `make install` wrote (CMake's
# install_manifest.txt in the build directory), then the directories it
# created that are left empty.  The configuration (/etc/kite/swanctl.conf,
# written only when none existed) is not in the manifest and stays.
# The manifest holds paths without DESTDIR: give the same DESTDIR as to install.
# Usage: scripts/uninstall.sh BUILD_DIR   (DESTDIR is honoured)
set -euo pipefail
manifest="${1:-build}/install_manifest.txt"
[ -f "$manifest" ] || { echo "uninstall: no $manifest (run make install first)" >&2; exit 1; }
dirs=()
while IFS= read -r f || [ -n "$f" ]; do
  [ -n "$f" ] || continue
  f=${DESTDIR:-}$f
  if [ -e "$f" ] || [ -L "$f" ]; then rm -f -- "$f" && echo "-- Removed: $f"; fi
  dirs+=("$(dirname -- "$f")")
done < "$manifest"
# kite's own directories, emptied: doc/kite/examples, doc/kite
for d in $(printf '%s\n' "${dirs[@]}" | sort -ru); do
  case "$d" in */doc/kite|*/doc/kite/*) rmdir --ignore-fail-on-non-empty -- "$d" 2>/dev/null || true ;; esac
done
