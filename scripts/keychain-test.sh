#!/usr/bin/env bash
# Runs node:test files against a real Secret Service: a private D-Bus session (dbus-run-session)
# with a fresh gnome-keyring, unlocked by a throw-away password, in scratch XDG_DATA_HOME and
# XDG_RUNTIME_DIR (an existing login keyring with an unknown password would stay locked).
#
#   scripts/keychain-test.sh test/e2e/keychain.test.ts [more files or node --test flags]
#
# Sets MCP_PUBLISH_KEYCHAIN_TEST=1 for the tests. Without dbus-run-session or gnome-keyring-daemon
# it says so and runs the files as they are, so their keychain tests report themselves skipped.
# Needs: apt-get install -y gnome-keyring dbus dbus-user-session libsecret-tools
set -euo pipefail
cd "$(dirname "$0")/.."

if [[ "${1:-}" == "--inside-session" ]]; then
  shift
  # gnome-keyring-daemon prints its variables (if any) as NAME=value lines; export them. It can
  # take a moment to claim its bus name (and, rarely, fail to start): wait for it, try twice.
  daemon_pid=""
  for attempt in 1 2; do
    vars="$(printf '%s' 'mcp-publish-test' | gnome-keyring-daemon --unlock --components=secrets 2>/dev/null)" || vars=""
    if [[ -n "$vars" ]]; then export $vars; fi
    # Whoever starts it stops it: the daemon outlives the bus otherwise, so find it by its bus name.
    for _ in $(seq 1 50); do
      daemon_pid="$(dbus-send --session --print-reply --dest=org.freedesktop.DBus /org/freedesktop/DBus \
        org.freedesktop.DBus.GetConnectionUnixProcessID string:org.freedesktop.secrets 2>/dev/null | awk '/uint32/ {print $2}')" || true
      [[ -n "$daemon_pid" ]] && break 2
      sleep 0.1
    done
    echo "keychain-test: gnome-keyring-daemon did not register org.freedesktop.secrets (attempt $attempt)" >&2
  done
  if [[ -z "$daemon_pid" ]]; then
    echo "keychain-test: no Secret Service on the private bus; the keychain suite cannot run" >&2
    exit 1
  fi
  status=0
  MCP_PUBLISH_KEYCHAIN_TEST=1 node --import tsx --test "$@" || status=$?
  kill "$daemon_pid" 2>/dev/null || true
  exit "$status"
fi

if [[ $# -eq 0 ]]; then
  echo "usage: $0 <test file>... (e.g. test/e2e/keychain.test.ts)" >&2
  exit 2
fi

for cmd in dbus-run-session dbus-send gnome-keyring-daemon; do
  if ! command -v "$cmd" >/dev/null 2>&1; then
    echo "keychain-test: $cmd not found; keychain tests will be skipped." >&2
    echo "keychain-test: install with: apt-get install -y gnome-keyring dbus dbus-user-session libsecret-tools" >&2
    exec node --import tsx --test "$@"
  fi
done

scratch="$(mktemp -d "${TMPDIR:-/tmp}/mcp-publish-keyring.XXXXXX")"
trap 'rm -rf "$scratch"' EXIT
mkdir -m 700 "$scratch/data" "$scratch/run"
# dbus-daemon's "Failed to set fd limit" warning in containers is harmless; the bus still works.
XDG_DATA_HOME="$scratch/data" XDG_RUNTIME_DIR="$scratch/run" \
  dbus-run-session -- bash "$0" --inside-session "$@"
