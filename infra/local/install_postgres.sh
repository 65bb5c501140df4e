#!/usr/bin/env bash
# Installs the PostgreSQL server the table's contract tests run on (`make postgres`):
# Debian's `postgresql` (its binaries under /usr/lib/postgresql/<version>/bin; no service
# is started: tests start a server of their own in a folder, infra/local/postgres.py).
# Idempotent: does nothing when a server binary is already there. Uses sudo only when not
# root. Fails loudly when it cannot.
set -euo pipefail

if compgen -G "/usr/lib/postgresql/*/bin/pg_ctl" >/dev/null; then
  echo "postgresql present: $(ls -d /usr/lib/postgresql/*/bin | tail -1)"
  exit 0
fi

fail() {
  echo "error: cannot install PostgreSQL for the table tests: $*" >&2
  echo "  install Debian's 'postgresql' package yourself." >&2
  exit 1
}

command -v apt-get >/dev/null || fail "apt-get not found (this script knows Debian/Ubuntu only)"
sudo=()
if [ "$(id -u)" -ne 0 ]; then
  command -v sudo >/dev/null || fail "not root and sudo is not available"
  sudo=(sudo)
  [ -t 0 ] || sudo=(sudo -n)
fi

apt_get() {
  "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get -y -q "$@"
}

SECONDS=0
echo "installing postgresql (Debian package) for the table tests"
if ! apt_get install --no-install-recommends postgresql; then
  echo "retrying after refreshing the package lists" >&2
  apt_get update || fail "apt-get update failed"
  apt_get install --no-install-recommends postgresql || fail "apt-get install postgresql failed"
fi
compgen -G "/usr/lib/postgresql/*/bin/pg_ctl" >/dev/null || fail "installed, but no pg_ctl"
echo "installed postgresql in ${SECONDS}s"
