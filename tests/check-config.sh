#!/bin/sh
# check-config.sh: `ismsd --check-config` exits 1 and prints FILE:LINE: message
# for a broken config, and exits 0 for a good one.
set -u
tmp=$(mktemp -d) || exit 99
trap 'rm -rf "$tmp"' EXIT
fail() { echo "FAIL: $*"; exit 1; }
run() { ${TEST_WRAPPER:-} "$ISMSD" "$@"; }

cat > "$tmp/bad.conf" <<'CONF'
[daemon]
state_dir = relative/path

[source patch]
type = self
frequency = daily
CONF
out=$(run --check-config --config "$tmp/bad.conf" 2>&1); rc=$?
[ "$rc" = 1 ] || fail "broken config: exit $rc, want 1"
echo "$out" | grep -qx "$tmp/bad.conf:2: \[daemon\] key 'state_dir': 'relative/path' is not an absolute path" \
	|| fail "no file:line message for state_dir in: $out"
echo "$out" | grep -qx "$tmp/bad.conf:6: \[source patch\] key 'frequency': unknown key" \
	|| fail "no file:line message for frequency in: $out"

printf '[daemon]\nstate_dir = %s/state\n[source s]\ntype = self\n' "$tmp" > "$tmp/good.conf"
out=$(run --check-config --config "$tmp/good.conf" 2>&1); rc=$?
[ "$rc" = 0 ] || fail "good config: exit $rc: $out"
echo "$out" | grep -q "configuration OK" || fail "no OK message: $out"
[ ! -e "$tmp/state" ] || fail "--check-config created the state directory"

out=$(run --check-config --config "$tmp/missing.conf" 2>&1); rc=$?
[ "$rc" = 1 ] || fail "missing config: exit $rc"
echo "$out" | grep -q "$tmp/missing.conf: cannot open" || fail "missing config message: $out"

run --version | grep -q '^ismsd [0-9]' || fail "--version"
echo "PASS: check-config"
