#!/bin/bash
# shellcheck disable=SC2015  # "ok" and "fail" always succeed
# selftest.sh [--quick]
#
# Smoke test of the ismsd vendor fakes with curl: makes a throwaway PKI, starts
# every vendor fake on 127.0.0.1, fetches one page from each with correct auth,
# checks that wrong credentials and an untrusted server certificate are
# rejected, pokes a few faults, checks the documented scenario numbers and the
# request log, then (unless --quick) runs test_fakes.py for the full paging and
# fault behaviour. Everything it starts is stopped and the temp dir removed,
# also on failure. Exit status 0 = all good.
set -u

HERE=$(cd "$(dirname "$0")" && pwd)
QUICK=0
[ "${1:-}" = "--quick" ] && QUICK=1
PY=${PYTHON:-python3}
T=$(mktemp -d "${TMPDIR:-/tmp}/ismsd-fakes.XXXXXX")
PIDS=()
FAILED=0
CHECKS=0

cleanup() {
    local pid
    for pid in "${PIDS[@]}"; do
        kill "$pid" 2>/dev/null
    done
    for pid in "${PIDS[@]}"; do
        wait "$pid" 2>/dev/null
    done
    rm -rf "$T"
}
trap cleanup EXIT
trap 'exit 130' INT TERM HUP
trap 'exit 141' PIPE

ok() { CHECKS=$((CHECKS + 1)); }
fail() { CHECKS=$((CHECKS + 1)); FAILED=$((FAILED + 1)); echo "FAIL: $*" >&2; }
expect() { # expect WHAT ACTUAL WANTED
    if [ "$2" = "$3" ]; then ok; else fail "$1: got '$2', want '$3'"; fi
}
contains() { # contains WHAT FILE STRING
    if grep -qF -- "$3" "$2"; then ok; else fail "$1: '$3' not in $(head -c 300 "$2")"; fi
}

# start_fake NAME VENDOR [ARGS...]  -> sets PORT_<NAME>
start_fake() {
    local name=$1 vendor=$2
    shift 2
    "$PY" "$HERE/fake.py" --vendor "$vendor" --cert "$T/${CERT:-server}.pem" \
        --key "$T/${CERT:-server}.key" --port-file "$T/$name.port" --log "$T/$name.log" "$@" \
        2>"$T/$name.err" &
    PIDS+=($!)
}

wait_port() { # wait_port NAME -> echo port
    local _
    for _ in $(seq 1 100); do
        if [ -s "$T/$1.port" ]; then
            cat "$T/$1.port"
            return 0
        fi
        sleep 0.05
    done
    echo "fake $1 did not start: $(cat "$T/$1.err")" >&2
    return 1
}

C=(curl -sS --cacert "$T/ca.pem" --max-time 10 -o "$T/body" -w '%{http_code}')
AKID=AKIDEXAMPLE
SECRET='wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY'

# ------------------------------------------------------------------ certificates
t0=$(date +%s%N)
"$HERE/mkcerts.sh" "$T" || { echo "mkcerts failed" >&2; exit 1; }
ms=$((($(date +%s%N) - t0) / 1000000))
[ "$ms" -lt 2000 ] && ok || fail "mkcerts took ${ms} ms"
for f in ca.pem ca.key server.pem server.key server.pin other-ca.pem untrusted.pem \
         untrusted.key sa.key sa.pub.pem gcp-sa.json wronghost.pem wronghost.key; do
    [ -s "$T/$f" ] && ok || fail "mkcerts did not create $f"
done
"$PY" "$HERE/sigv4.py" --selftest >/dev/null && ok || fail "sigv4 selftest"
"$PY" "$HERE/rs256.py" --selftest --key "$T/sa.key" >/dev/null && ok || fail "rs256 selftest"

# ------------------------------------------------------------------ start fakes
start_fake ssm aws-ssm --scenario breaching
start_fake backup aws-backup
start_fake ct aws-cloudtrail --scenario breaching
start_fake fleet fleet
start_fake kb4 knowbe4
start_fake az azure
start_fake gcp gcp --sa-public-key "$T/sa.pub.pem"
CERT=untrusted start_fake bad fleet

# ------------------------------------------------------------------ scenario numbers
# (the values README.md documents; recomputed by fake.py from the data)
summary_check() { # summary_check VENDOR SCENARIO 'python expression over s' ...
    local vendor=$1 scenario=$2
    shift 2
    "$PY" "$HERE/fake.py" --vendor "$vendor" --scenario "$scenario" --summary > "$T/summary.json"
    local line
    while IFS= read -r line; do
        case $line in
            OK) ok ;;
            *) fail "summary $vendor/$scenario: $line" ;;
        esac
    done < <("$PY" -c '
import json, sys
s = json.load(open(sys.argv[1]))
for e in sys.argv[2:]:
    print("OK" if eval(e) else "%s (summary: %s)" % (e, json.dumps(s, sort_keys=True)))
' "$T/summary.json" "$@")
}
summary_check aws-ssm healthy 's["instances"]==25' 's["patch_compliant"]==25' 's["scan_older_than_7d"]==0'
summary_check aws-ssm breaching 's["patch_compliant"]==21' 's["with_critical_missing"]==4' \
    's["scan_older_than_7d"]==2' 's["compliant_and_fresh"]==19' 's["sum_critical"]==7' \
    's["with_pending_reboot"]==1' 's["with_failed"]==1' 's["ping_online"]==24'
summary_check aws-backup healthy 's["jobs"]==85' 's["states"]=={"COMPLETED":84,"RUNNING":1}' \
    's["resources_ok_24h"]==12'
summary_check aws-backup breaching 's["jobs"]==82' \
    's["states"]=={"ABORTED":1,"COMPLETED":76,"EXPIRED":1,"FAILED":3,"RUNNING":1}' \
    's["resources_ok_24h"]==8' 's["success_rate_percent"]==93.83' \
    'len(s["resources_2_consecutive_failures"])==1'
summary_check aws-cloudtrail healthy 's["events"]==200' \
    's["logging_tamper"]+s["console_login_without_mfa"]+s["root_activity"]+s["iam_policy_grants"]+s["sg_ingress_world"]==0'
summary_check aws-cloudtrail breaching 's["logging_tamper"]==3' 's["console_login_without_mfa"]==1' \
    's["root_activity"]==2' 's["iam_policy_grants"]==2' 's["sg_ingress_world"]==1' \
    's["trail_is_logging"] is False'
summary_check fleet healthy 's["hosts"]==250' 's["status"]=={"online":250}' 's["with_critical_vulns"]==0'
summary_check fleet breaching 's["with_critical_vulns"]==10' 's["critical_vuln_findings"]==14' \
    's["with_kev_vulns"]==10' 's["with_only_high_vulns"]==8' 's["with_failing_policies"]==5' \
    's["status"]=={"mia":3,"offline":6,"online":241}' 's["software_scan_older_than_7d"]==11'
summary_check knowbe4 healthy 's["enrollments"]==1050' 's["status"]=={"Passed":1050}'
summary_check knowbe4 breaching \
    's["status"]=={"In Progress":15,"Not Started":45,"Passed":970,"Past Due":20}' \
    's["main_module_passed"]==300' 's["main_module_passed_within_30d"]==295' \
    's["users_all_passed"]==300' 's["policy_acknowledged"]==335'
summary_check azure healthy 's["events"]==300' \
    's["diagnostic_settings_deleted"]+s["role_assignments_written"]+s["nsg_rules_open_to_internet"]==0'
summary_check azure breaching 's["diagnostic_settings_deleted"]==1' 's["role_assignments_written"]==1' \
    's["nsg_rules_open_to_internet"]==2'
summary_check gcp healthy 's["entries"]==300' 's["DeleteSink"]+s["UpdateSink"]+s["SetIamPolicy"]+s["firewall_world"]==0'
summary_check gcp breaching 's["DeleteSink"]==1' 's["UpdateSink"]==1' 's["SetIamPolicy"]==1' \
    's["firewall_world"]==1'

# ------------------------------------------------------------------ AWS SSM (curl --aws-sigv4)
P=$(wait_port ssm) || exit 1
SSM=(-H 'Content-Type: application/x-amz-json-1.1' -H 'X-Amz-Target: AmazonSSM.DescribeInstancePatchStates'
     -d '{"InstanceIds":["i-0a1b2c3d4e5f00020","i-0a1b2c3d4e5f00001"]}')
code=$("${C[@]}" --aws-sigv4 "aws:amz:us-east-1:ssm" --user "$AKID:$SECRET" "${SSM[@]}" "https://127.0.0.1:$P/")
expect "ssm page" "$code" 200
contains "ssm body" "$T/body" '"CriticalNonCompliantCount":2'
code=$("${C[@]}" --aws-sigv4 "aws:amz:us-east-1:ssm" --user "$AKID:wrong-secret" "${SSM[@]}" "https://127.0.0.1:$P/")
expect "ssm wrong secret" "$code" 403
contains "ssm wrong secret body" "$T/body" InvalidSignatureException
code=$("${C[@]}" "${SSM[@]}" "https://127.0.0.1:$P/")
expect "ssm no auth" "$code" 400
contains "ssm no auth body" "$T/body" MissingAuthenticationTokenException
code=$("${C[@]}" --pinnedpubkey "$(cat "$T/server.pin")" --aws-sigv4 "aws:amz:us-east-1:ssm" \
    --user "$AKID:$SECRET" "${SSM[@]}" "https://127.0.0.1:$P/")
expect "ssm with pinned key" "$code" 200

# ------------------------------------------------------------------ AWS Backup (REST-JSON)
P=$(wait_port backup) || exit 1
code=$("${C[@]}" --aws-sigv4 "aws:amz:us-east-1:backup" --user "$AKID:$SECRET" \
    "https://127.0.0.1:$P/backup-jobs/?maxResults=10")
expect "backup page" "$code" 200
contains "backup NextToken" "$T/body" '"NextToken":'
code=$("${C[@]}" --aws-sigv4 "aws:amz:us-east-1:backup" --user "$AKID:nope" \
    "https://127.0.0.1:$P/backup-jobs/?maxResults=10")
expect "backup wrong secret" "$code" 403

# ------------------------------------------------------------------ CloudTrail (sigv4.py helper)
P=$(wait_port ct) || exit 1
TGT='com.amazonaws.cloudtrail.v20131101.CloudTrail_20131101.LookupEvents'
BODY='{"MaxResults":50}'
ct_call() { # ct_call SECRET [curl args...]
    local secret=$1
    shift
    local hdrs=()
    while IFS= read -r line; do hdrs+=(-H "$line"); done < <("$PY" "$HERE/sigv4.py" sign \
        --url "https://127.0.0.1:$P/" --service cloudtrail --secret-key "$secret" \
        -H 'Content-Type: application/x-amz-json-1.1' -H "X-Amz-Target: $TGT" --data "$BODY")
    "${C[@]}" "${hdrs[@]}" -H 'Content-Type: application/x-amz-json-1.1' -H "X-Amz-Target: $TGT" \
        --data "$BODY" "$@" "https://127.0.0.1:$P/"
}
code=$(ct_call "$SECRET")
expect "cloudtrail page" "$code" 200
contains "cloudtrail events" "$T/body" '"CloudTrailEvent":"{\"eventVersion\"'
contains "cloudtrail NextToken" "$T/body" '"NextToken":'
code=$(ct_call wrong)
expect "cloudtrail wrong secret" "$code" 403
# faults through the control endpoint: truncate, stall, oversize, throttle
fault() { # fault NAME JSON
    local p
    p=$(cat "$T/$1.port")
    curl -sS --cacert "$T/ca.pem" -o /dev/null -d "$2" "https://127.0.0.1:$p/__fake/faults"
}
fault ct '{"faults":[{"type":"truncate"}]}'
ct_call "$SECRET" >/dev/null 2>&1
expect "truncate -> curl exit 18 (partial file)" "$?" 18
fault ct '{"faults":[{"type":"stall","seconds":30}]}'
ct_call "$SECRET" --max-time 1 >/dev/null 2>&1
expect "stall -> curl exit 28 (timeout)" "$?" 28
# curl 7.88 enforces --max-filesize only on a declared Content-Length, so use
# mode "length" here; the chunked mode is covered by test_fakes.py.
fault ct '{"faults":[{"type":"oversize","bytes":10737418240,"mode":"length"}]}'
ct_call "$SECRET" --max-filesize 1000000 >/dev/null 2>&1
expect "oversize -> curl exit 63 (max filesize)" "$?" 63
fault ct '{"faults":[{"type":"throttle","count":1}]}'
code=$(ct_call "$SECRET")
expect "cloudtrail throttled" "$code" 400
contains "cloudtrail throttle body" "$T/body" '{"__type":"ThrottlingException","message":"Rate exceeded"}'
code=$(ct_call "$SECRET")
expect "cloudtrail after throttle" "$code" 200

# ------------------------------------------------------------------ Fleet
P=$(wait_port fleet) || exit 1
code=$("${C[@]}" -H 'Authorization: Bearer test-token-fleet' \
    "https://127.0.0.1:$P/api/v1/fleet/hosts?page=0&per_page=100")
expect "fleet page" "$code" 200
contains "fleet hosts" "$T/body" '"hostname":"host-001.example.internal"'
code=$("${C[@]}" -H 'Authorization: Bearer wrong-token' "https://127.0.0.1:$P/api/v1/fleet/hosts")
expect "fleet wrong token" "$code" 401
fault fleet '{"faults":[{"type":"throttle","retry_after_seconds":7}]}'
"${C[@]}" -D "$T/headers" -H 'Authorization: Bearer test-token-fleet' \
    "https://127.0.0.1:$P/api/v1/fleet/hosts" > "$T/code"
expect "fleet throttled" "$(cat "$T/code")" 429
contains "fleet Retry-After" "$T/headers" "Retry-After: 7"
fault fleet '{"faults":[{"type":"redirect_http"}]}'
"${C[@]}" -D "$T/headers" -H 'Authorization: Bearer test-token-fleet' \
    "https://127.0.0.1:$P/api/v1/fleet/hosts" > "$T/code"
expect "fleet redirect" "$(cat "$T/code")" 302
contains "fleet redirect Location" "$T/headers" "Location: http://127.0.0.1:$P/api/v1/fleet/hosts"

# ------------------------------------------------------------------ KnowBe4
P=$(wait_port kb4) || exit 1
code=$("${C[@]}" -H 'Authorization: Bearer test-token-knowbe4' \
    "https://127.0.0.1:$P/v1/training/enrollments?page=1&per_page=500")
expect "knowbe4 page" "$code" 200
contains "knowbe4 enrollment" "$T/body" '"status":"Passed"'
code=$("${C[@]}" -H 'Authorization: Bearer nope' "https://127.0.0.1:$P/v1/training/enrollments")
expect "knowbe4 wrong token" "$code" 401

# ------------------------------------------------------------------ Azure
P=$(wait_port az) || exit 1
TENANT=11111111-2222-3333-4444-555555555555
SUB=00000000-1111-2222-3333-444444444444
AZFORM=(--data-urlencode client_id=aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee
        --data-urlencode scope=https://management.azure.com/.default
        --data-urlencode grant_type=client_credentials)
code=$("${C[@]}" "${AZFORM[@]}" --data-urlencode client_secret=test-secret-azure \
    "https://127.0.0.1:$P/$TENANT/oauth2/v2.0/token")
expect "azure token" "$code" 200
AT=$("$PY" -c 'import json,sys; print(json.load(open(sys.argv[1]))["access_token"])' "$T/body")
code=$("${C[@]}" "${AZFORM[@]}" --data-urlencode client_secret=wrong \
    "https://127.0.0.1:$P/$TENANT/oauth2/v2.0/token")
expect "azure wrong secret" "$code" 401
contains "azure AADSTS" "$T/body" '"error_codes":[7000215]'
AZURL="https://127.0.0.1:$P/subscriptions/$SUB/providers/Microsoft.Insights/eventtypes/management/values"
AZQ=(-G --data-urlencode api-version=2015-04-01
     --data-urlencode "\$filter=eventTimestamp ge '2026-11-23T00:00:00Z' and eventTimestamp le '2026-11-24T00:00:00Z'")
code=$("${C[@]}" -H "Authorization: Bearer $AT" "${AZQ[@]}" "$AZURL")
expect "azure activity log page" "$code" 200
contains "azure nextLink" "$T/body" "\"nextLink\":\"https://127.0.0.1:$P/subscriptions/"
code=$("${C[@]}" -H "Authorization: Bearer not-a-token" "${AZQ[@]}" "$AZURL")
expect "azure wrong bearer" "$code" 401

# ------------------------------------------------------------------ GCP
P=$(wait_port gcp) || exit 1
sed "s/:PORT/:$P/" "$T/gcp-sa.json" > "$T/gcp-sa-port.json"
JWT=$("$PY" "$HERE/rs256.py" make-jwt --sa-json "$T/gcp-sa-port.json")
code=$("${C[@]}" --data-urlencode grant_type=urn:ietf:params:oauth:grant-type:jwt-bearer \
    --data-urlencode "assertion=$JWT" "https://127.0.0.1:$P/token")
expect "gcp token" "$code" 200
GT=$("$PY" -c 'import json,sys; print(json.load(open(sys.argv[1]))["access_token"])' "$T/body")
code=$("${C[@]}" --data-urlencode grant_type=urn:ietf:params:oauth:grant-type:jwt-bearer \
    --data-urlencode "assertion=${JWT%?????}AAAAA" "https://127.0.0.1:$P/token")
expect "gcp bad JWT signature" "$code" 400
contains "gcp invalid_grant" "$T/body" '"error":"invalid_grant"'
code=$("${C[@]}" -H "Authorization: Bearer $GT" -H 'Content-Type: application/json' \
    -d '{"resourceNames":["projects/ismsd-test-project"],"filter":"timestamp>=\"2026-11-23T00:00:00Z\"","pageSize":100}' \
    "https://127.0.0.1:$P/v2/entries:list")
expect "gcp entries page" "$code" 200
contains "gcp nextPageToken" "$T/body" '"nextPageToken":'
code=$("${C[@]}" -H "Authorization: Bearer wrong" -H 'Content-Type: application/json' \
    -d '{"resourceNames":["projects/ismsd-test-project"]}' "https://127.0.0.1:$P/v2/entries:list")
expect "gcp wrong bearer" "$code" 401

# ------------------------------------------------------------------ untrusted CA
P=$(wait_port bad) || exit 1
curl -sS --cacert "$T/ca.pem" --max-time 5 -o /dev/null \
    -H 'Authorization: Bearer test-token-fleet' "https://127.0.0.1:$P/api/v1/fleet/hosts" 2>/dev/null
expect "untrusted CA -> curl exit 60" "$?" 60

# ------------------------------------------------------------------ request logs
sleep 0.2
for name in ssm backup ct fleet kb4 az gcp; do
    if grep -qE 'test-token-|test-secret-azure|Signature=|ya29\.fake|fake-entra-|assertion' \
        "$T/$name.log"; then
        fail "request log of $name contains a credential"
    else
        ok
    fi
done
"$PY" - "$T" <<'PYEOF' && ok || fail "request log format"
import json, sys, os
T = sys.argv[1]
need = {"ts", "vendor", "seq", "conn", "kind", "method", "path", "query", "headers",
        "has_auth", "auth_scheme", "body_bytes", "status", "fault"}
az = [json.loads(l) for l in open(os.path.join(T, "az.log"))]
assert all(need <= set(e) for e in az), az[0]
assert sum(1 for e in az if e["kind"] == "token") == 2, az
assert any(e["auth_scheme"] == "Bearer" and e["has_auth"] for e in az)
ct = [json.loads(l) for l in open(os.path.join(T, "ct.log"))]
assert [e["fault"] for e in ct if e["fault"]] == ["truncate", "stall", "oversize", "throttle"], ct
PYEOF

# ------------------------------------------------------------------ deep tests
if [ "$QUICK" = 0 ]; then
    # In the background so that a signal reaches the cleanup trap at once.
    "$PY" "$HERE/test_fakes.py" "$T" > "$T/deep.out" 2>&1 &
    DEEP=$!
    PIDS+=("$DEEP")
    wait "$DEEP" && ok || {
        fail "test_fakes.py"
        cat "$T/deep.out" >&2
    }
fi

# ------------------------------------------------------------------ webhook receiver
"$PY" "$HERE/receiver.py" --selftest > "$T/receiver.out" 2>&1 && ok || {
    fail "receiver.py --selftest"
    cat "$T/receiver.out" >&2
}

echo "fakes selftest: $CHECKS checks, $FAILED failed"
[ "$FAILED" = 0 ]
