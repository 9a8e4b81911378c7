#!/usr/bin/env bash
# `npm test`: installs the system packages the suites need (as root with apt), type-checks, runs
# every suite with node's test runner (the keychain suite inside its own D-Bus session), and
# ends with one line counting what passed, failed and was skipped.
set -uo pipefail
cd "$(dirname "$0")/.."
mkdir -p .tmp test-artifacts

# System packages: gnome-keyring + D-Bus for the keychain suite, Chromium for the UI suite,
# PostgreSQL and nginx for the team suites (replicas; the tests run their own, on private ports).
declare -A provides=([gnome-keyring-daemon]=gnome-keyring [dbus-run-session]=dbus-user-session [dbus-send]=dbus [secret-tool]=libsecret-tools [chromium]=chromium [pg_ctlcluster]=postgresql [nginx]=nginx)
missing=()
for cmd in "${!provides[@]}"; do command -v "$cmd" >/dev/null 2>&1 || missing+=("${provides[$cmd]}"); done
if ((${#missing[@]})); then
  if [[ $(id -u) -eq 0 ]] && command -v apt-get >/dev/null 2>&1; then
    echo "npm test: installing ${missing[*]} (apt)"
    (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null) \
      || echo "npm test: could not install ${missing[*]}; the suites that need them will say they are skipped"
  else
    echo "npm test: ${missing[*]} not installed and not root with apt: the keychain suite will be skipped"
  fi
fi

status=0
echo "== type-check (tsc --noEmit)"
if ! npx tsc --noEmit -p tsconfig.json; then status=1; echo "npm test: type-check failed"; fi
if [[ -f renderer/tsconfig.json ]] && ! npx tsc --noEmit -p renderer/tsconfig.json; then status=1; echo "npm test: settings UI type-check failed"; fi

rm -f .tmp/tap-*.txt
reporters() { echo "--test-reporter=spec --test-reporter-destination=stdout --test-reporter=tap --test-reporter-destination=.tmp/tap-$1.txt"; }

export MCP_PUBLISH_AUDIT_DIR="$PWD/.tmp/log-audit"
rm -rf "$MCP_PUBLISH_AUDIT_DIR"
echo "== compiling the core (dist/)"
node scripts/build.mjs || status=1
[[ -f renderer/dist/index.html || ! -d renderer ]] || { echo "== building the settings UI"; npm run --silent build:ui || status=1; }
mapfile -t files < <(find test/unit test/e2e test/ui -name '*.test.ts' ! -name 'keychain.test.ts' 2>/dev/null | sort)
echo "== main suites"
node --import tsx --test $(reporters main) "${files[@]}" || status=1
echo "== keychain suite (gnome-keyring in a private D-Bus session)"
bash scripts/keychain-test.sh $(reporters keychain) test/e2e/keychain.test.ts || status=1
echo "== log audit (no secret in any log line of the run)"
node --import tsx --test $(reporters audit) test/audit/logs.test.ts || status=1

pass=0; fail=0; skip=0
for f in .tmp/tap-*.txt; do
  [[ -f $f ]] || continue
  p=$(awk '/^# pass /{print $3}' "$f" | tail -1); x=$(awk '/^# fail /{print $3}' "$f" | tail -1); s=$(awk '/^# skipped /{print $3}' "$f" | tail -1)
  pass=$((pass + ${p:-0})); fail=$((fail + ${x:-0})); skip=$((skip + ${s:-0}))
done
[[ $status -ne 0 && $fail -eq 0 ]] && fail=1
echo
echo "$pass passed, $fail failed, $skip skipped"
exit $status
