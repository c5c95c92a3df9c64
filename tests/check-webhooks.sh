#!/bin/sh
# check-webhooks.sh: webhook delivery end to end.  ismsd collects from the
# vendor fakes (tools/demo-env, breaching data) and delivers every event of
# its outbox to the HTTPS receiver (tests/fakes/receiver.py), which accepts
# only requests with a valid Standard Webhooks signature.  Then: the
# receiver is down, an operator's change is queued and retried under the
# same webhook-id once it is back; the receiver refuses an event with 400,
# it is dead-lettered, and `ismsctl webhook retry` sends it again.  The
# webhook secret never shows up in a log or an output.
set -u
src=$(cd "$(dirname "$0")/.." && pwd)
dir=$(mktemp -d) || exit 99
rpid=
trap '[ -n "$rpid" ] && kill "$rpid" 2>/dev/null; sh "$src/tools/demo-env" stop "$dir/env" >/dev/null 2>&1; rm -rf "$dir"' EXIT
fail() { echo "FAIL: $*"; exit 1; }
ismsd() { ${TEST_WRAPPER:-} "$ISMSD" "$@"; }
ismsctl() { "$ISMSCTL" --config "$conf" "$@"; }
out="$dir/outputs"
mkdir -p "$out"

eval "$(sh "$src/tools/demo-env" start "$dir/env" breaching)" || fail "cannot start the fakes"
conf="$dir/env/ismsd.conf"
pki="$dir/env/pki"

secret="whsec_$(head -c 32 /dev/urandom | base64 | tr -d '\n')"
(umask 077 && printf '%s\n' "$secret" > "$CREDENTIALS_DIRECTORY/ismsd_webhook-secret")
start_receiver() { # [--port N]
	rm -f "$dir/receiver.port"
	python3 "$src/tests/fakes/receiver.py" --cert "$pki/server.pem" --key "$pki/server.key" \
		--port-file "$dir/receiver.port" --log "$dir/receiver.log" --secret "$secret" "$@" >> "$dir/receiver.out" 2>&1 &
	rpid=$!
	i=0
	while [ ! -s "$dir/receiver.port" ]; do
		i=$((i + 1))
		[ $i -gt 200 ] && fail "the receiver did not start: $(cat "$dir/receiver.out")"
		sleep 0.05
	done
}
start_receiver
port=$(tr -d '\n' < "$dir/receiver.port")
base="https://127.0.0.1:$port"
control() { # METHOD PATH [JSON]
	python3 - "$pki/ca.pem" "$base$2" "$1" "${3:-}" <<'EOF'
import json, ssl, sys, urllib.request
ctx = ssl.create_default_context(cafile=sys.argv[1])
data = sys.argv[4].encode() if sys.argv[4] else None
req = urllib.request.Request(sys.argv[2], data=data, method=sys.argv[3],
                             headers={"Content-Type": "application/json"})
print(urllib.request.urlopen(req, context=ctx, timeout=30).read().decode())
EOF
}
cat >> "$conf" <<EOF

[webhook alerts]
url = $base/hooks/ismsd
secret_file = ismsd_webhook-secret
ca_file = $pki/ca.pem
retry_base = 1s
max_attempts = 10
EOF

# 1. Every event reaches the receiver, signed, once.
ismsd --once --config "$conf" > "$out/run1.log" 2>&1 || fail "run 1 failed: $(tail -n 5 "$out/run1.log")"
ismsctl nc list --json > "$out/ncs.json"
ismsctl webhook list --json > "$out/hooks1.json"
control GET "/__receiver/deliveries" > "$out/deliveries1.json"
python3 - "$out/ncs.json" "$out/hooks1.json" "$out/deliveries1.json" <<'EOF' || fail "run 1: deliveries"
import json, sys
ncs, hooks, dels = (json.load(open(f)) for f in sys.argv[1:4])
assert len(ncs) >= 10, "only %d NCs raised" % len(ncs)
h = hooks[0]
assert h["name"] == "alerts" and h["format"] == "standard", h
d = h["deliveries"]
# one raise event per NC, all delivered, nothing pending or dead
assert d["delivered"] == len(ncs) and d["pending"] == 0 and d["dead"] == 0, (d, len(ncs))
assert len(dels) == len(ncs), (len(dels), len(ncs))
ids = set()
for e in dels:
    assert e["accepted"] and not e["duplicate"], e
    assert e["headers"]["content-type"].startswith("application/json"), e["headers"]
    body = json.loads(e["body"]) if isinstance(e["body"], str) else e["body"]
    assert body["type"] in ("nonconformity.raised", "evidence.gap", "activity.overdue"), body["type"]
    assert body["data"]["event"] == "raised" and body["data"]["actor"] == "ismsd", body["data"]
    ids.add(body["data"]["nc_id"])
assert ids == {n["id"] for n in ncs}, (ids, [n["id"] for n in ncs])
EOF

# 2. The receiver is down (stopped: connections are refused): an operator's
# change waits in the outbox, and is sent under the same webhook-id once
# the receiver is back.
kill "$rpid"
wait "$rpid" 2>/dev/null
rpid=
ismsctl nc ack 1 --by auditor --note "looking into it" > /dev/null || fail "nc ack"
ismsd --once --config "$conf" > "$out/run2.log" 2>&1 || fail "run 2 failed: $(tail -n 5 "$out/run2.log")"
grep -q "webhook alerts: delivery of msg_.* failed (attempt 1 of 10)" "$out/run2.log" ||
	fail "run 2 did not log the failed delivery: $(grep webhook "$out/run2.log")"
ismsctl webhook list --json > "$out/hooks2.json"
ismsctl webhook deliveries alerts --state pending --json > "$out/pending2.json"
python3 - "$out/hooks2.json" "$out/pending2.json" <<'EOF' || fail "run 2: the event should be pending"
import json, sys
hooks, pending = (json.load(open(f)) for f in sys.argv[1:3])
d = hooks[0]["deliveries"]
assert d["pending"] == 1 and d["dead"] == 0, d
assert hooks[0]["last_error"], hooks[0]
assert len(pending) == 1 and pending[0]["type"] == "nonconformity.updated" and pending[0]["nc_id"] == 1, pending
assert pending[0]["attempts"] >= 1 and pending[0]["next_at"], pending
EOF
start_receiver --port "$port"
sleep 3 # past the back-off (retry_base 1s, twice at most, with jitter)
ismsd --once --config "$conf" > "$out/run3.log" 2>&1 || fail "run 3 failed: $(tail -n 5 "$out/run3.log")"
control GET "/__receiver/deliveries" > "$out/deliveries3.json"
python3 - "$out/pending2.json" "$out/deliveries3.json" <<'EOF' || fail "run 3: the retried event"
import json, sys
pending, after = (json.load(open(f)) for f in sys.argv[1:3])
assert len(after) == 1, len(after)
e = after[0]
assert e["accepted"], e
body = json.loads(e["body"]) if isinstance(e["body"], str) else e["body"]
assert body["type"] == "nonconformity.updated", body["type"]
assert body["data"]["nc_id"] == 1 and body["data"]["state"] == "acknowledged", body["data"]
assert body["data"]["actor"] == "auditor" and body["data"]["note"] == "looking into it", body["data"]
# the same event, under the webhook-id its failed attempts carried
assert e["headers"]["webhook-id"] == pending[0]["msg_id"], (e["headers"], pending[0])
EOF
ismsctl webhook list --json > "$out/hooks3.json"
python3 -c 'import json,sys; d=json.load(open(sys.argv[1]))[0]["deliveries"]; assert d["pending"]==0 and d["dead"]==0, d' \
	"$out/hooks3.json" || fail "run 3: still pending"

# 3. A permanent refusal (400) dead-letters the event; retry sends it again.
control POST "/__receiver/faults" '{"faults": [{"type": "status", "code": 400, "count": 1}]}' > /dev/null || fail "cannot set the receiver fault"
ismsctl nc ack 2 --by auditor --note "second" > /dev/null || fail "nc ack 2"
ismsd --once --config "$conf" > "$out/run4.log" 2>&1 || fail "run 4 failed: $(tail -n 5 "$out/run4.log")"
grep -q "webhook alerts: gave up on event msg_.* after 1 attempt(s): .*400" "$out/run4.log" ||
	fail "run 4 did not dead-letter: $(grep webhook "$out/run4.log")"
ismsctl webhook deliveries alerts --state dead --json > "$out/dead4.json"
python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); assert len(d)==1 and d[0]["last_status"]==400 and d[0]["nc_id"]==2, d' \
	"$out/dead4.json" || fail "run 4: the dead letter"
ismsctl webhook retry alerts > "$out/retry.txt" || fail "webhook retry"
grep -q "^1 event(s) requeued for webhook alerts" "$out/retry.txt" || fail "retry: $(cat "$out/retry.txt")"
ismsctl webhook retry alerts 999999 > /dev/null 2>&1 && fail "retry of an unknown event should fail"
ismsd --once --config "$conf" > "$out/run5.log" 2>&1 || fail "run 5 failed: $(tail -n 5 "$out/run5.log")"
ismsctl webhook list > "$out/hooks5.txt"
ismsctl webhook list --json > "$out/hooks5.json"
control GET "/__receiver/deliveries" > "$out/deliveries5.json"
python3 - "$out/hooks5.json" "$out/ncs.json" "$out/deliveries5.json" <<'EOF' || fail "run 5: the retried dead letter"
import json, sys
hooks, ncs, dels = (json.load(open(f)) for f in sys.argv[1:4])
d = hooks[0]["deliveries"]
assert d == {"pending": 0, "delivered": len(ncs) + 2, "dead": 0, "skipped": 0}, d
body = json.loads(dels[-1]["body"]) if isinstance(dels[-1]["body"], str) else dels[-1]["body"]
assert body["data"]["nc_id"] == 2 and body["data"]["note"] == "second", body["data"]
EOF

# 4. The secret is nowhere in what ismsd or ismsctl wrote.
for f in "$out"/* "$dir/env/state"/evidence.db*; do
	grep -aqF -- "$secret" "$f" && fail "the webhook secret is in $(basename "$f")"
	grep -aqF -- "${secret#whsec_}" "$f" && fail "the webhook key is in $(basename "$f")"
done
echo "PASS: check-webhooks (every event delivered and signed, a retry after an outage, a dead letter requeued)"
