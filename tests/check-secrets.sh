#!/bin/sh
# check-secrets.sh: no secret ever reaches a log line, an error message, an
# ismsctl output or the evidence store.  Every collector runs against its
# fake (tools/demo-env) at log level debug, once with the right secrets and
# once with wrong ones (so that every error path runs), and every output,
# log and store file is searched for every secret value: the AWS secret
# key, the bearer tokens, the Entra client secret, the service account's
# private key and the access tokens the fakes issued.
set -u
src=$(cd "$(dirname "$0")/.." && pwd)
dir=$(mktemp -d) || exit 99
trap 'sh "$src/tools/demo-env" stop "$dir/env" >/dev/null 2>&1; rm -rf "$dir"' EXIT
fail() { echo "FAIL: $*"; exit 1; }
ismsd() { ${TEST_WRAPPER:-} "$ISMSD" "$@"; }
ismsctl() { "$ISMSCTL" --config "$conf" "$@"; }

eval "$(sh "$src/tools/demo-env" start "$dir/env" breaching)" || fail "cannot start the fakes"
conf="$dir/env/ismsd.conf"
sed -i 's/^log_level = .*/log_level = debug/' "$conf"
out="$dir/outputs"
mkdir -p "$out"

ismsd --once --config "$conf" > "$out/run1.log" 2>&1 || fail "the run with the right secrets failed: $(tail -n 5 "$out/run1.log")"
grep -q "source cloudtrail: run .* committed" "$out/run1.log" || fail "cloudtrail did not commit"

# Every listing, and every evidence item of every kind (the first 40 of each).
ismsctl status --json > "$out/status.json"
ismsctl runs list --json > "$out/runs.json"
ismsctl kpi list --json > "$out/kpis.json"
ismsctl nc list --json > "$out/ncs.json"
ismsctl controls --json > "$out/controls.json"
ismsctl activity list --json > "$out/activities.json"
ismsctl evidence list --limit 1000000 --json > "$out/evidence.json"
for kind in raw.page ismsd.self patch.host patch.missing patch.vuln backup.job training.enrollment audit.event; do
	ismsctl evidence list --kind "$kind" --limit 40 --json | sed -n 's/^    "id": \([0-9]*\),$/\1/p' |
		while read -r id; do
			ismsctl evidence show "$id" --json >> "$out/items.json"
			[ "$kind" = raw.page ] && ismsctl evidence show "$id" --raw >> "$out/pages.raw"
		done
done
[ -s "$out/items.json" ] || fail "no evidence items were shown"

# Wrong secrets everywhere: every source fails; the errors must not echo them.
bad="$dir/bad-credentials"
mkdir -p "$bad"
chmod 700 "$bad"
printf '[default]\naws_access_key_id = AKIDEXAMPLE\naws_secret_access_key = WrongSecretKey0123456789abcdefWRONGkey\n' > "$bad/ismsd_aws-credentials"
printf 'wrong-bearer-token-fleet-0123456789\n' > "$bad/ismsd_fleet-token"
printf 'wrong-bearer-token-knowbe4-0123456789\n' > "$bad/ismsd_knowbe4-token"
printf 'wrong-client-secret-azure-0123456789\n' > "$bad/ismsd_azure-secret"
cp "$dir/env/credentials/ismsd_gcp-sa.json" "$bad/ismsd_gcp-sa.json"
chmod 600 "$bad"/*
sed "s|^state_dir = .*|state_dir = $dir/bad-state|" "$conf" > "$dir/bad.conf"
CREDENTIALS_DIRECTORY=$bad ismsd --once --config "$dir/bad.conf" > "$out/run2.log" 2>&1
[ $? = 2 ] || fail "the run with wrong secrets should fail (exit 2): $(tail -n 5 "$out/run2.log")"
grep -q "HTTP 401" "$out/run2.log" || fail "no 401 in the failing run's log"
"$ISMSCTL" --config "$dir/bad.conf" runs list --json > "$out/bad-runs.json"

# The secrets, and the tokens the fakes issued (from their prefixes).
key_line=$(sed -n '2p' "$dir/env/pki/sa.key")
for s in "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY" test-token-fleet test-token-knowbe4 test-secret-azure \
	WrongSecretKey0123456789abcdefWRONGkey wrong-bearer-token-fleet wrong-bearer-token-knowbe4 \
	wrong-client-secret-azure "$key_line" "ya29.fake-" "fake-entra-" "BEGIN PRIVATE KEY"; do
	for f in "$out"/* "$dir/env/state"/evidence.db* "$dir/bad-state"/evidence.db*; do
		[ -e "$f" ] || continue
		if grep -aqF -- "$s" "$f"; then
			fail "secret '$(printf %s "$s" | cut -c1-12)...' found in $(basename "$f")"
		fi
	done
done
n=$(cat "$out"/* | wc -c)
echo "PASS: check-secrets ($n bytes of logs and outputs, 2 stores, 12 secret values)"
