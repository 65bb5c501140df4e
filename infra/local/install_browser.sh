#!/usr/bin/env bash
# Installs the headless browser the browser tests drive (tests/browser, `make browser`):
# Debian's `chromium` at /usr/bin/chromium, driven by the PyPI `playwright` package (its own
# browser download is not used). Idempotent: does nothing when the browser is already there.
# Refreshes the package lists only when chromium has no install candidate or the first
# attempt fails (stale lists). Uses sudo only when not root. Fails loudly when it cannot.
set -euo pipefail

browser="${LGSP_CHROMIUM:-/usr/bin/chromium}"
if [ -x "$browser" ]; then
  echo "browser present: $browser"
  exit 0
fi

fail() {
  echo "error: cannot install the browser for the browser tests: $*" >&2
  echo "  install Debian's 'chromium' package yourself (it gives /usr/bin/chromium)," >&2
  echo "  or point LGSP_CHROMIUM at an existing Chromium binary." >&2
  exit 1
}

if [ "$browser" != /usr/bin/chromium ]; then
  fail "LGSP_CHROMIUM=$browser is not an executable file"
fi
command -v apt-get >/dev/null || fail "apt-get not found (this script knows Debian/Ubuntu only)"

sudo=()
if [ "$(id -u)" -ne 0 ]; then
  command -v sudo >/dev/null || fail "not root and sudo is not available"
  sudo=(sudo)
  [ -t 0 ] || sudo=(sudo -n)  # no terminal to ask a password on: fail instead of waiting
fi

apt_get() {
  "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get -y -q "$@"
}

has_candidate() {
  # Captured first: `grep -q` closing the pipe early would fail the pipeline (pipefail).
  local policy
  policy="$(apt-cache policy chromium 2>/dev/null || true)"
  [[ "$policy" == *"Candidate: "[0-9]* ]]
}

install_chromium() {
  apt_get install --no-install-recommends chromium
}

SECONDS=0
echo "installing chromium (Debian package) for the browser tests"
if ! has_candidate; then
  apt_get update || fail "apt-get update failed"
fi
if ! install_chromium; then
  echo "retrying after refreshing the package lists" >&2
  apt_get update || fail "apt-get update failed"
  install_chromium || fail "apt-get install chromium failed"
fi
[ -x "$browser" ] || fail "chromium installed but $browser is missing"
echo "installed $("$browser" --version 2>/dev/null || echo chromium) in ${SECONDS}s"
