#!/bin/sh
# check-report.sh: reports, the evidence chain and audit packs end to end.
# ismsd collects once from the vendor fakes (tools/demo-env, breaching data);
# then:
#   1. `ismsctl verify` passes on the untouched store, and fails, naming the
#      page, on a copy with one flipped blob byte;
#   2. the metrics textfile is there, and its open-NC gauges match the store;
#   3. the month's report in every format: the JSON summary and the HTML
#      report's key numbers (data-key cells) match `kpi list` / `nc list`;
#   4. the HTML report renders in headless Chromium to a PDF and a PNG with
#      no network fetch (tests/render-html.sh);
#   5. the OSCAL report validates against the vendored OSCAL 1.0.6 schema;
#   6. reports are reproducible: two runs differ only in the generation time;
#   7. an exported pack (tar and directory) verifies offline; a pack with
#      one changed file fails and names the file; a tar whose member leaves
#      the pack is refused;
#   8. no secret appears in any report or pack;
#   9. with a TSA configured (tests/fakes/tsa.py, a local RFC 3161 TSA signing
#      with a certificate of the test CA), the pack carries a timestamp token
#      over its tag manifest, which verify --pack and `openssl ts -verify`
#      accept, and which fails once the tag manifest is rewritten.
set -u
src=$(cd "$(dirname "$0")/.." && pwd)
dir=$(mktemp -d) || exit 99
cleanup() {
	sh "$src/tools/demo-env" stop "$dir/env" >/dev/null 2>&1
	rm -rf "$dir"
}
trap cleanup EXIT
fail() {
	echo "FAIL: $*"
	exit 1
}
ismsctl() { ${TEST_WRAPPER:-} "$ISMSCTL" --config "$conf" "$@"; }
# Debian's python3 (the one with python3-jsonschema), whatever else is on PATH
py=/usr/bin/python3
[ -x "$py" ] || py=python3

eval "$(sh "$src/tools/demo-env" start "$dir/env" breaching)" || fail "cannot start the fakes"
conf="$dir/env/ismsd.conf"
${TEST_WRAPPER:-} "$ISMSD" --once --config "$conf" > "$dir/daemon.log" 2>&1 || fail "ismsd --once: $(tail -5 "$dir/daemon.log")"
month=$(date -u +%Y-%m)
out="$dir/out"
mkdir -p "$out"

# ---- 1. the chain ----------------------------------------------------------------
ismsctl verify > "$out/verify.txt" 2>&1 || fail "verify on an untouched store: $(cat "$out/verify.txt")"
grep -q '^OK: every run, page and fact matches its signed manifest$' "$out/verify.txt" || fail "verify said: $(cat "$out/verify.txt")"
ismsctl --json verify > "$out/verify.json" || fail "verify --json"
manifests=$(jq -r .manifests "$out/verify.json")
runs=$(ismsctl --json runs list | jq '[.[] | select(.outcome == "success")] | length')
[ "$manifests" = "$runs" ] || fail "$manifests manifests for $runs committed runs"
# A copy of the state with one byte of one blob changed.
cp -r "$dir/env/state" "$dir/tampered"
blob=$(sqlite3 "$dir/tampered/evidence.db" "SELECT sha256 FROM blobs ORDER BY sha256 LIMIT 1")
# one byte of the stored data changes, whether the blob is kept as received
# or as a zstd frame (which then decodes to other bytes, or not at all)
sqlite3 "$dir/tampered/evidence.db" "UPDATE blobs SET data = CAST(substr(data, 1, 20) ||
	CASE WHEN substr(data, 21, 1) = X'00' THEN X'01' ELSE X'00' END || substr(data, 22) AS BLOB) WHERE sha256 = '$blob'" ||
	fail "cannot tamper with the copy"
sed "s|^state_dir = .*|state_dir = $dir/tampered|" "$conf" > "$dir/tampered.conf"
"$ISMSCTL" --config "$dir/tampered.conf" verify > "$out/tampered.txt" 2>&1
rc=$?
[ $rc = 3 ] || fail "verify of a tampered store exited $rc: $(cat "$out/tampered.txt")"
grep -q "first broken link: run [0-9]* (.*): page [0-9]*: the bytes of blob $blob were changed" "$out/tampered.txt" ||
	fail "verify did not name the changed blob: $(cat "$out/tampered.txt")"

# ---- 2. metrics --------------------------------------------------------------------
prom="$dir/env/metrics/ismsd.prom"
[ -s "$prom" ] || fail "no metrics file at $prom"
[ "$(stat -c %a "$prom")" = 644 ] || fail "ismsd.prom has mode $(stat -c %a "$prom")"
major=$(ismsctl --json nc list --state open | jq '[.[] | select(.severity == "major")] | length')
minor=$(ismsctl --json nc list --state open | jq '[.[] | select(.severity == "minor")] | length')
grep -qx "ismsd_nonconformities_open{severity=\"major\"} $major" "$prom" || fail "metrics: major NCs are not $major"
grep -qx "ismsd_nonconformities_open{severity=\"minor\"} $minor" "$prom" || fail "metrics: minor NCs are not $minor"
grep -qx "ismsd_evidence_chain_length $manifests" "$prom" || fail "metrics: chain length is not $manifests"

# ---- 3. the month's report in every format -------------------------------------------
for f in html json oscal; do
	ismsctl report --period "$month" --format $f --out "$out/report.$f" > "$out/report-$f.txt" 2>&1 ||
		fail "report --format $f: $(cat "$out/report-$f.txt")"
done
ismsctl report --period "$month" --format csv --out "$out/csv" > /dev/null 2>&1 || fail "report --format csv"
[ -s "$out/csv/kpis.csv" ] && [ -s "$out/csv/nonconformities.csv" ] || fail "csv report incomplete: $(ls "$out/csv")"
breached=$(ismsctl --json kpi list | jq '[.[] | select(.verdict == "breached")] | length')
met=$(ismsctl --json kpi list | jq '[.[] | select(.verdict == "met")] | length')
[ "$breached" -gt 0 ] || fail "the breaching scenario breached no KPI"
s() { jq -r ".summary.$1" "$out/report.json"; }
[ "$(s kpis.breached)" = "$breached" ] || fail "report.json: kpis.breached $(s kpis.breached), the store $breached"
[ "$(s kpis.met)" = "$met" ] || fail "report.json: kpis.met $(s kpis.met), the store $met"
[ "$(s ncs_open.major)" = "$major" ] || fail "report.json: ncs_open.major $(s ncs_open.major), the store $major"
[ "$(s ncs_open.minor)" = "$minor" ] || fail "report.json: ncs_open.minor $(s ncs_open.minor), the store $minor"
[ "$(jq '.soa | length' "$out/report.json")" = 93 ] || fail "report.json: the SoA does not list 93 controls"
[ "$(jq '.evidence | length' "$out/report.json")" = "$runs" ] || fail "report.json: the evidence index lacks runs"
# The HTML report's key numbers: <... data-key="K">N<...
key() {
	"$py" - "$out/report.html" "$1" <<'EOF'
import re, sys
html = open(sys.argv[1], encoding="utf-8").read()
m = re.search(r'data-key="%s"[^>]*>\s*([^<\s]+)' % re.escape(sys.argv[2]), html)
print(m.group(1) if m else "missing")
EOF
}
[ "$(key kpis.breached)" = "$breached" ] || fail "report.html: kpis.breached $(key kpis.breached), the store $breached"
[ "$(key kpis.met)" = "$met" ] || fail "report.html: kpis.met $(key kpis.met), the store $met"
[ "$(key ncs_open.major)" = "$major" ] || fail "report.html: ncs_open.major $(key ncs_open.major), the store $major"
[ "$(key ncs_open.minor)" = "$minor" ] || fail "report.html: ncs_open.minor $(key ncs_open.minor), the store $minor"
grep -qi '<script' "$out/report.html" && fail "report.html has a script"

# ---- 4. the HTML renders, offline ------------------------------------------------------
sh "$src/tests/render-html.sh" "$out/report.html" "$out/report.pdf" "$out/report.png" > "$out/render.txt" 2>&1 ||
	fail "render-html.sh: $(cat "$out/render.txt")"
[ "$(head -c 5 "$out/report.pdf")" = "%PDF-" ] || fail "report.pdf is not a PDF"

# ---- 5. OSCAL ----------------------------------------------------------------------------
"$py" "$src/tests/oscal-validate.py" "$src/tests/data/oscal/oscal_assessment-results_schema-1.0.6.json" \
	"$out/report.oscal" > "$out/oscal.txt" 2>&1 || fail "the OSCAL report does not validate: $(head -20 "$out/oscal.txt")"

# ---- 6. reproducible -------------------------------------------------------------------
sleep 1
for f in html json oscal; do
	ismsctl report --period "$month" --format $f --out "$out/again.$f" > /dev/null 2>&1 || fail "report again ($f)"
	cmp -s "$out/report.$f" "$out/again.$f" && fail "$f: two reports a second apart are byte-identical (no generation time?)"
	diff "$out/report.$f" "$out/again.$f" | grep '^[<>]' | grep -v -e generated_at -e 'last-modified' -e 'Generated' > "$out/diff.txt"
	[ -s "$out/diff.txt" ] && fail "$f: reports differ beyond the generation time: $(head -5 "$out/diff.txt")"
done

# ---- 7. audit packs ------------------------------------------------------------------------
ismsctl export --period "$month" --out "$out/pack.tar" > "$out/export.txt" 2>&1 || fail "export: $(cat "$out/export.txt")"
ismsctl export --period "$month" --out "$out/pack" > /dev/null 2>&1 || fail "export to a directory"
ismsctl export --period "$month" --out "$out/pack" > /dev/null 2>&1 && fail "export overwrote an existing pack"
"$ISMSCTL" verify --pack "$out/pack.tar" > "$out/vpack.txt" 2>&1 || fail "verify --pack: $(cat "$out/vpack.txt")"
"$ISMSCTL" verify --pack "$out/pack" > /dev/null 2>&1 || fail "verify --pack of the directory"
tar -tf "$out/pack.tar" | grep -qx 'pack/bagit.txt' || fail "the tar has no pack/bagit.txt: $(tar -tf "$out/pack.tar" | head -3)"
tar -tf "$out/pack.tar" | grep -q '^pack/data/reports/report.html$' || fail "the pack has no HTML report"
# Change one byte of one file inside the tar, and of one file in the directory.
mkdir "$dir/x" && tar -xf "$out/pack.tar" -C "$dir/x" || fail "GNU tar cannot read the pack"
victim=$(cd "$dir/x/pack" && ls data/facts | head -1)
sed -i '1s/"/'"'"'/' "$dir/x/pack/data/facts/$victim"
(cd "$dir/x" && tar -cf "$out/changed.tar" pack) || fail "cannot re-tar"
"$ISMSCTL" verify --pack "$out/changed.tar" > "$out/changed.txt" 2>&1
rc=$?
[ $rc = 3 ] || fail "verify --pack of a changed pack exited $rc: $(cat "$out/changed.txt")"
grep -q "first: data/facts/$victim: changed" "$out/changed.txt" || fail "the changed file is not named: $(cat "$out/changed.txt")"
echo tampered >> "$out/pack/data/reports/report.html"
"$ISMSCTL" --json verify --pack "$out/pack" > "$out/changed.json"
[ "$(jq -r '.problems[0]' "$out/changed.json" | cut -d: -f1)" = data/reports/report.html ] ||
	fail "the changed report is not named first: $(jq -c .problems "$out/changed.json")"
# A member that leaves the pack.
"$py" - "$out/evil.tar" <<'EOF'
import io, sys, tarfile
with tarfile.open(sys.argv[1], "w", format=tarfile.USTAR_FORMAT) as t:
    data = b"x"
    info = tarfile.TarInfo("pack/../../evil")
    info.size = len(data)
    t.addfile(info, io.BytesIO(data))
EOF
"$ISMSCTL" verify --pack "$out/evil.tar" > "$out/evil.txt" 2>&1
rc=$?
[ $rc = 1 ] || fail "verify --pack of a tar that leaves the pack exited $rc"
grep -q 'is not a plain file or directory inside the pack' "$out/evil.txt" || fail "evil tar: $(cat "$out/evil.txt")"
[ -e "$dir/evil" ] || [ -e "$(dirname "$dir")/evil" ] && fail "the evil member was written"

# ---- 9. an RFC 3161 timestamp from a (local) TSA ------------------------------------------
pki="$dir/env/pki"
openssl req -new -newkey rsa:2048 -nodes -keyout "$dir/tsa.key" -subj "/CN=ismsd test TSA" \
	-out "$dir/tsa.csr" > /dev/null 2>&1 || fail "cannot make the TSA's key"
printf 'extendedKeyUsage = critical, timeStamping\nkeyUsage = critical, digitalSignature\n' > "$dir/tsa.ext"
openssl x509 -req -in "$dir/tsa.csr" -CA "$pki/ca.pem" -CAkey "$pki/ca.key" -CAcreateserial \
	-CAserial "$dir/tsa.srl" -days 2 -extfile "$dir/tsa.ext" -out "$dir/tsa.pem" > /dev/null 2>&1 ||
	fail "cannot sign the TSA's certificate"
python3 "$src/tests/fakes/tsa.py" --cert "$pki/server.pem" --key "$pki/server.key" --tsa-cert "$dir/tsa.pem" \
	--tsa-key "$dir/tsa.key" --chain "$pki/ca.pem" --port-file "$dir/tsa.port" > "$dir/tsa.out" 2>&1 &
tsa_pid=$!
i=0
while [ ! -s "$dir/tsa.port" ]; do
	i=$((i + 1))
	[ $i -gt 200 ] && fail "the TSA did not start: $(cat "$dir/tsa.out")"
	sleep 0.05
done
sed "s|^\[report\]$|[report]\ntsa_url = https://127.0.0.1:$(cat "$dir/tsa.port")/\ntsa_ca_file = $pki/ca.pem|" \
	"$conf" > "$dir/tsa.conf"
"$ISMSCTL" --config "$dir/tsa.conf" export --period "$month" --out "$out/stamped" > "$out/stamped.txt" 2>&1 ||
	fail "export with a timestamp: $(cat "$out/stamped.txt")"
kill "$tsa_pid"
[ -s "$out/stamped/tagmanifest-sha256.txt.tsr" ] || fail "no timestamp token in the pack"
"$ISMSCTL" verify --pack "$out/stamped" > "$out/vstamped.txt" 2>&1 || fail "verify --pack (stamped): $(cat "$out/vstamped.txt")"
grep -q '^RFC 3161 timestamp over tagmanifest-sha256.txt: 20[0-9-]*T[0-9:]*Z, verified up to tsa-ca.pem' \
	"$out/vstamped.txt" || fail "the timestamp was not checked: $(cat "$out/vstamped.txt")"
# OpenSSL's own verifier agrees, given the TSA's CA from outside the pack.
openssl ts -verify -data "$out/stamped/tagmanifest-sha256.txt" -in "$out/stamped/tagmanifest-sha256.txt.tsr" \
	-CAfile "$pki/ca.pem" > "$out/ossl.txt" 2>&1 || fail "openssl ts -verify: $(cat "$out/ossl.txt")"
grep -q '^Verification: OK' "$out/ossl.txt" || fail "openssl ts -verify: $(cat "$out/ossl.txt")"
# Checked up to another CA (the auditor's own trust), the token is refused.
"$ISMSCTL" verify --pack "$out/stamped" --tsa-ca "$pki/other-ca.pem" > "$out/vother.txt" 2>&1
rc=$?
[ $rc = 3 ] || fail "a token checked against another CA: exit $rc"
grep -q 'tagmanifest-sha256.txt.tsr: the timestamp does not verify' "$out/vother.txt" || fail "other CA: $(cat "$out/vother.txt")"
# A tag manifest changed after the stamp (and the manifests rewritten to
# match) no longer matches the token.
echo "0000000000000000000000000000000000000000000000000000000000000000  data/added" \
	>> "$out/stamped/manifest-sha256.txt"
(cd "$out/stamped" && sha256sum bag-info.txt bagit.txt manifest-sha256.txt > tagmanifest-sha256.txt)
"$ISMSCTL" --json verify --pack "$out/stamped" > "$out/vstamped2.json"
jq -r '.problems[]' "$out/vstamped2.json" | grep -q '^tagmanifest-sha256.txt.tsr: the timestamp does not verify' ||
	fail "a re-written tag manifest passed its timestamp: $(jq -c .problems "$out/vstamped2.json")"

# ---- 8. secrets --------------------------------------------------------------------------
key_line=$(sed -n '2p' "$dir/env/pki/sa.key")
[ -n "$key_line" ] || fail "cannot read the service account's key"
for v in "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY" test-token-fleet test-token-knowbe4 test-secret-azure \
	"$key_line" "ya29.fake-" "fake-entra-" "BEGIN PRIVATE KEY"; do
	grep -rqF -e "$v" "$out" && fail "secret '$(printf %s "$v" | cut -c1-12)...' is in a report or pack"
done
echo "PASS: chain verified ($manifests manifests), reports in 4 formats match the store, HTML renders, OSCAL validates, packs verify and name a changed file, RFC 3161 timestamp"
exit 0
