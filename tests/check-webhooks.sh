#!/bin/sh
# check-webhooks.sh: webhook delivery end to end.  ismsd collects from the
# vendor fakes (tools/demo-env, breaching data) and delivers its outbox to
# HTTPS receivers (tests/fakes/receiver.py): "alerts" (standard format),
# which accepts only requests with a valid Standard Webhooks signature, and
# one receiver per other format, which accepts only that format's
# documented shape.  Then, against "alerts":
#   1. every raised NC arrives once, signed, in every format;
#   2. the receiver is stopped: an operator's change waits in the outbox and
#      arrives, under the same webhook-id, once it is back;
#   3. 503 three times: four attempts under one webhook-id, then delivered;
#   4. ismsd is killed with SIGKILL while an event is pending: after a
#      restart it is delivered, once;
#   5. the receiver is down for a whole retry schedule: the event is
#      dead-lettered, and `ismsctl webhook retry` delivers it once it is back;
#   6. a 400 dead-letters at once; 410 disables the endpoint until retry;
#   7. the webhook secret shows up in no log, output or store file;
#   8. a source that fails twice, then recovers, gives one collector.failed
#      and one collector.recovered, accepted in every format;
#   9. an alertmanager webhook gets the open NCs again as firing alerts every
#      resend_interval;
#  10. with the daemon running, `ismsctl webhook test` wakes it (SIGUSR1): the
#      event arrives within 4 s (the fallback outbox poll is every 5 min);
#      and with no run due, its deliver timer keeps the re-sends of 9 going.
set -u
src=$(cd "$(dirname "$0")/.." && pwd)
dir=$(mktemp -d) || exit 99
rpid=
dpid=
others=
cleanup() {
	[ -n "$dpid" ] && kill -9 "$dpid" 2>/dev/null
	[ -n "$rpid" ] && kill "$rpid" 2>/dev/null
	for p in $others; do kill "$p" 2>/dev/null; done
	sh "$src/tools/demo-env" stop "$dir/env" >/dev/null 2>&1
	rm -rf "$dir"
}
trap cleanup EXIT
fail() {
	echo "FAIL: $*"
	[ -f "$dir/daemon.log" ] && { echo "--- daemon log (tail)"; tail -n 30 "$dir/daemon.log"; }
	exit 1
}
ismsd() { ${TEST_WRAPPER:-} "$ISMSD" "$@"; }
ismsctl() { "$ISMSCTL" --config "$conf" "$@"; }
out="$dir/outputs"
mkdir -p "$out"

eval "$(sh "$src/tools/demo-env" start "$dir/env" breaching)" || fail "cannot start the fakes"
conf="$dir/env/ismsd.conf"
pki="$dir/env/pki"
ca="$pki/ca.pem"

secret="whsec_$(head -c 32 /dev/urandom | base64 | tr -d '\n')"
routing_key=$(head -c 16 /dev/urandom | od -An -tx1 | tr -d ' \n')
(
	umask 077
	printf '%s\n' "$secret" > "$CREDENTIALS_DIRECTORY/ismsd_webhook-secret"
	printf '%s\n' "$routing_key" > "$CREDENTIALS_DIRECTORY/ismsd_pagerduty-key"
)

# start_receiver NAME FORMAT [--port N]: sets $pid_NAME and $port_NAME
start_receiver() {
	name=$1
	fmt=$2
	shift 2
	rm -f "$dir/$name.port"
	python3 "$src/tests/fakes/receiver.py" --cert "$pki/server.pem" --key "$pki/server.key" --format "$fmt" \
		--port-file "$dir/$name.port" --log "$dir/$name.log" --secret "$secret" "$@" >> "$dir/$name.out" 2>&1 &
	eval "pid_$name=$!"
	i=0
	while [ ! -s "$dir/$name.port" ]; do
		i=$((i + 1))
		[ $i -gt 200 ] && fail "the $name receiver did not start: $(cat "$dir/$name.out")"
		sleep 0.05
	done
	eval "port_$name=$(tr -d '\n' < "$dir/$name.port")"
}
# control NAME METHOD PATH [JSON]: a request to a receiver's control endpoint
control() {
	eval "p=\$port_$1"
	python3 - "$ca" "https://127.0.0.1:$p$3" "$2" "${4:-}" <<'EOF'
import ssl, sys, urllib.request
ctx = ssl.create_default_context(cafile=sys.argv[1])
data = sys.argv[4].encode() if sys.argv[4] else None
req = urllib.request.Request(sys.argv[2], data=data, method=sys.argv[3],
                             headers={"Content-Type": "application/json"})
print(urllib.request.urlopen(req, context=ctx, timeout=130).read().decode())
EOF
}
stop_alerts() {
	kill "$pid_alerts"
	wait "$pid_alerts" 2>/dev/null
	rpid=
}
start_alerts() {
	start_receiver alerts standard "$@"
	rpid=$pid_alerts
}
# start_daemon N: starts ismsd (its own pid in $dpid: exec, no subshell in
# between) and waits for its Nth "started" line in the log
start_daemon() {
	(exec ${TEST_WRAPPER:-} "$ISMSD" --foreground --config "$conf" >> "$dir/daemon.log" 2>&1) &
	dpid=$!
	n=0
	until [ "$(grep -c ': ismsd .* started: ' "$dir/daemon.log")" -ge "$1" ]; do
		n=$((n + 1))
		[ $n -gt 240 ] && fail "ismsd did not start"
		kill -0 "$dpid" 2>/dev/null || fail "ismsd exited"
		sleep 0.25
	done
}
stop_daemon() {
	kill -TERM "$dpid"
	wait "$dpid" 2>/dev/null
	kill -0 "$dpid" 2>/dev/null && fail "ismsd did not stop on SIGTERM"
	dpid=
}
# wait_for SECONDS PYTHON-EXPRESSION: until the expression over `hooks`
# (ismsctl webhook list --json, by name) holds
wait_for() {
	limit=$1
	n=0
	while :; do
		ismsctl webhook list --json > "$dir/hooks.json" 2>/dev/null &&
			python3 -c "import json,sys
hooks = {h['name']: h for h in json.load(open(sys.argv[1]))}
sys.exit(0 if ($2) else 1)" "$dir/hooks.json" && return 0
		n=$((n + 1))
		[ $n -gt $((limit * 4)) ] && fail "timed out waiting for: $2 ($(cat "$dir/hooks.json"))"
		sleep 0.25
	done
}
# body FILE INDEX: the parsed body of a receiver record (python helper text)
PYBODY='def body(e):
    import json
    return json.loads(e["body"]) if isinstance(e["body"], str) else e["body"]'

# validate BODIES.json...: every standard body a receiver accepted against
# docs/webhook-events.schema.json (the subset of JSON Schema it uses)
validate() {
	python3 - "$src/docs/webhook-events.schema.json" "$@" <<'EOF'
import json, sys
schema = json.load(open(sys.argv[1]))
TYPES = {"object": dict, "array": list, "string": str, "null": type(None), "boolean": bool}
def ok_type(v, t):
    if t == "integer":
        return isinstance(v, int) and not isinstance(v, bool)
    if t == "number":
        return isinstance(v, (int, float)) and not isinstance(v, bool)
    return isinstance(v, TYPES[t])
def check(v, s, path):
    if "anyOf" in s:
        errs = []
        for alt in s["anyOf"]:
            try:
                check(v, alt, path)
                return
            except AssertionError as e:
                errs.append(str(e))
        raise AssertionError("%s: matches no alternative: %s" % (path, errs))
    if "type" in s:
        ts = s["type"] if isinstance(s["type"], list) else [s["type"]]
        assert any(ok_type(v, t) for t in ts), "%s: %r is not %s" % (path, v, ts)
    if "enum" in s:
        assert v in s["enum"], "%s: %r not in %s" % (path, v, s["enum"])
    if isinstance(v, dict):
        for k in s.get("required", []):
            assert k in v, "%s: missing %s" % (path, k)
        props = s.get("properties", {})
        if s.get("additionalProperties") is False:
            extra = set(v) - set(props)
            assert not extra, "%s: unexpected %s" % (path, sorted(extra))
        for k, sub in props.items():
            if k in v:
                check(v[k], sub, path + "." + k)
    if isinstance(v, list) and "items" in s:
        for i, e in enumerate(v):
            check(e, s["items"], "%s[%d]" % (path, i))
n = 0
for f in sys.argv[2:]:
    for rec in json.load(open(f)):
        if not rec.get("accepted"):
            continue
        b = json.loads(rec["body"]) if isinstance(rec["body"], str) else rec["body"]
        check(b, schema, b.get("type", "?"))
        n += 1
assert n > 0
print("validated %d events" % n)
EOF
}

start_alerts
others=
for f in cloudevents pagerduty slack alertmanager; do
	start_receiver "$f" "$f"
	eval "others=\"\$others \$pid_$f\""
done
sched="1s, 1s, 1s, 1s, 1s, 1s, 1s, 1s, 1s"
cat >> "$conf" <<EOF

[webhook alerts]
url = https://127.0.0.1:$port_alerts/hooks/ismsd
secret_file = ismsd_webhook-secret
ca_file = $ca
retry_schedule = $sched

[webhook cloudevents]
url = https://127.0.0.1:$port_cloudevents/events
format = cloudevents
secret_file = ismsd_webhook-secret
ca_file = $ca

[webhook pagerduty]
url = https://127.0.0.1:$port_pagerduty/v2/enqueue
format = pagerduty
routing_key_file = ismsd_pagerduty-key
ca_file = $ca

[webhook slack]
url = https://127.0.0.1:$port_slack/services/T000/B000/XXXX
format = slack
ca_file = $ca

[webhook alertmanager]
url = https://127.0.0.1:$port_alertmanager/api/v2/alerts
format = alertmanager
ca_file = $ca
resend_interval = 1d
EOF

# ---- 1. every raised NC arrives once, signed, in every format -------------
ismsd --once --config "$conf" > "$out/run1.log" 2>&1 || fail "run 1 failed: $(tail -n 5 "$out/run1.log")"
ismsctl nc list --json > "$out/ncs.json"
ismsctl webhook list --json > "$out/hooks1.json"
for r in alerts cloudevents pagerduty slack alertmanager; do
	control "$r" GET "/__receiver/attempts" > "$out/attempts1-$r.json" || fail "receiver $r"
done
python3 - "$out" <<EOF || fail "1: deliveries"
import json, os, sys
$PYBODY
o = sys.argv[1]
ncs = json.load(open(os.path.join(o, "ncs.json")))
hooks = {h["name"]: h for h in json.load(open(os.path.join(o, "hooks1.json")))}
assert len(ncs) >= 10, "only %d NCs raised" % len(ncs)
ids = {n["id"] for n in ncs}
for name in ("alerts", "cloudevents", "pagerduty", "slack", "alertmanager"):
    d = hooks[name]["deliveries"]
    # one raise event per NC, all delivered, nothing pending or dead
    assert d == {"pending": 0, "delivered": len(ncs), "dead": 0, "skipped": 0}, (name, d, len(ncs))
    att = json.load(open(os.path.join(o, "attempts1-%s.json" % name)))
    # the receiver checked each: signature (standard, cloudevents) and shape
    assert len(att) == len(ncs) and all(a["accepted"] for a in att), (name, [a["reason"] for a in att if not a["accepted"]])
    assert len({a["headers"]["webhook-id"] for a in att}) == len(ncs), name
alerts = json.load(open(os.path.join(o, "attempts1-alerts.json")))
seen = set()
for e in alerts:
    b = body(e)
    assert b["type"] in ("nonconformity.raised", "evidence.gap", "activity.overdue"), b["type"]
    assert b["data"]["event"] == "raised" and b["data"]["actor"] == "ismsd", b["data"]
    assert e["signature"]["matched_secret"] == 0, e["signature"]
    seen.add(b["data"]["nc_id"])
assert seen == ids, (seen, ids)
ce = [body(a) for a in json.load(open(os.path.join(o, "attempts1-cloudevents.json")))]
assert all(c["specversion"] == "1.0" and c["type"].startswith("org.ismsd.") for c in ce), ce[0]
pd = [body(a) for a in json.load(open(os.path.join(o, "attempts1-pagerduty.json")))]
assert {p["dedup_key"] for p in pd} == {"ismsd-nc-%d" % i for i in ids}, pd[0]
assert all(p["event_action"] == "trigger" for p in pd), pd[0]
EOF

validate "$out/attempts1-alerts.json" > /dev/null || fail "1: the events do not match the schema"

# ---- 2. receiver stopped: the change waits, then arrives under its id -----
stop_alerts
ismsctl nc ack 1 --by auditor --note "looking into it" > /dev/null || fail "nc ack"
ismsd --once --config "$conf" > "$out/run2.log" 2>&1 || fail "run 2 failed: $(tail -n 5 "$out/run2.log")"
grep -q "webhook alerts: delivery of msg_.* failed (attempt 1 of 10)" "$out/run2.log" ||
	fail "run 2 did not log the failed delivery: $(grep webhook "$out/run2.log")"
ismsctl webhook list --json > "$out/hooks2.json"
ismsctl webhook deliveries alerts --state pending --json > "$out/pending2.json"
python3 - "$out/hooks2.json" "$out/pending2.json" <<'EOF' || fail "2: the event should be pending"
import json, sys
hooks, pending = (json.load(open(f)) for f in sys.argv[1:3])
h = [h for h in hooks if h["name"] == "alerts"][0]
assert h["deliveries"]["pending"] == 1 and h["deliveries"]["dead"] == 0, h
assert h["last_error"], h
assert len(pending) == 1 and pending[0]["type"] == "nonconformity.updated" and pending[0]["nc_id"] == 1, pending
assert pending[0]["attempts"] >= 1 and pending[0]["next_at"], pending
EOF
start_alerts --port "$port_alerts"
sleep 3 # past the back-off (1s per attempt, at most two, with jitter)
ismsd --once --config "$conf" > "$out/run3.log" 2>&1 || fail "run 3 failed: $(tail -n 5 "$out/run3.log")"
control alerts GET "/__receiver/deliveries" > "$out/deliveries3.json"
python3 - "$out/pending2.json" "$out/deliveries3.json" <<EOF || fail "2: the retried event"
import json, sys
$PYBODY
pending, after = (json.load(open(f)) for f in sys.argv[1:3])
assert len(after) == 1, len(after)
e = after[0]
b = body(e)
assert b["type"] == "nonconformity.updated", b["type"]
assert b["data"]["nc_id"] == 1 and b["data"]["state"] == "acknowledged", b["data"]
assert b["data"]["actor"] == "auditor" and b["data"]["note"] == "looking into it", b["data"]
# the same event, under the webhook-id its failed attempts carried
assert e["headers"]["webhook-id"] == pending[0]["msg_id"], (e["headers"], pending[0])
EOF

# ---- 3. 503 three times: four attempts under one webhook-id ---------------
: > "$dir/daemon.log"
start_daemon 1
control alerts POST "/__receiver/faults" '{"faults": [{"type": "status", "code": 503, "count": 3}]}' > /dev/null ||
	fail "cannot set the 503 fault"
ismsctl nc ack 3 --by auditor --note "third" > /dev/null || fail "nc ack 3"
# ismsctl wakes the daemon, which delivers the new event
control alerts GET "/__receiver/deliveries?min=2&timeout=90" > "$out/deliveries4.json"
control alerts GET "/__receiver/attempts" > "$out/attempts4.json"
python3 - "$out/deliveries4.json" "$out/attempts4.json" <<EOF || fail "3: 503 three times"
import json, sys
$PYBODY
dels, att = (json.load(open(f)) for f in sys.argv[1:3])
assert len(dels) == 2, len(dels)
wid = dels[1]["headers"]["webhook-id"]
assert body(dels[1])["data"]["nc_id"] == 3, body(dels[1])
tries = [a for a in att if a["headers"].get("webhook-id") == wid]
assert [a["status"] for a in tries] == [503, 503, 503, 200], [a["status"] for a in tries]
# a fresh timestamp and signature on each attempt, all valid
assert all(a["signature"]["matched_secret"] == 0 for a in tries), tries
EOF

# ---- 4. SIGKILL while an event is pending ----------------------------------
stop_alerts
ismsctl nc ack 4 --by auditor --note "fourth" > /dev/null || fail "nc ack 4"
wait_for 60 "hooks['alerts']['deliveries']['pending'] == 1 and hooks['alerts']['last_error']"
kill -9 "$dpid"
wait "$dpid" 2>/dev/null
dpid=
kill -0 "$dpid" 2>/dev/null && fail "ismsd survived SIGKILL"
start_alerts --port "$port_alerts"
start_daemon 2
control alerts GET "/__receiver/deliveries?min=1&timeout=90" > "$out/deliveries5.json"
wait_for 30 "hooks['alerts']['deliveries']['pending'] == 0"
python3 - "$out/deliveries5.json" <<EOF || fail "4: the event pending at SIGKILL"
import json, sys
$PYBODY
dels = json.load(open(sys.argv[1]))
assert len(dels) == 1 and not dels[0]["duplicate"], dels
assert body(dels[0])["data"]["nc_id"] == 4 and body(dels[0])["data"]["note"] == "fourth", body(dels[0])
EOF

# ---- 5. down for a whole retry schedule: dead letter, then retry ----------
stop_alerts
ismsctl nc ack 5 --by auditor --note "fifth" > /dev/null || fail "nc ack 5"
wait_for 90 "hooks['alerts']['deliveries']['dead'] == 1 and hooks['alerts']['deliveries']['pending'] == 0"
ismsctl webhook deliveries alerts --state dead --json > "$out/dead6.json"
python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); assert len(d)==1 and d[0]["attempts"]==10 and d[0]["nc_id"]==5, d' \
	"$out/dead6.json" || fail "5: the dead letter after ten attempts"
grep -q "webhook alerts: gave up on event msg_.* (nonconformity.updated) after 10 attempt(s)" "$dir/daemon.log" ||
	fail "5: the dead letter was not logged"
start_alerts --port "$port_alerts"
ismsctl webhook retry alerts > "$out/retry6.txt" || fail "webhook retry"
grep -q "^1 event(s) requeued for webhook alerts" "$out/retry6.txt" || fail "retry: $(cat "$out/retry6.txt")"
control alerts GET "/__receiver/deliveries?min=1&timeout=90" > "$out/deliveries6.json"
wait_for 30 "hooks['alerts']['deliveries']['dead'] == 0 and hooks['alerts']['deliveries']['pending'] == 0"
python3 - "$out/deliveries6.json" "$out/dead6.json" <<EOF || fail "5: the requeued dead letter"
import json, sys
$PYBODY
dels, dead = (json.load(open(f)) for f in sys.argv[1:3])
assert len(dels) == 1 and body(dels[0])["data"]["nc_id"] == 5, dels
assert dels[0]["headers"]["webhook-id"] == dead[0]["msg_id"], (dels[0]["headers"], dead[0])
EOF
stop_daemon

# ---- 6. 400 dead-letters at once; 410 disables the endpoint ---------------
control alerts POST "/__receiver/faults" '{"faults": [{"type": "status", "code": 400, "count": 1}]}' > /dev/null ||
	fail "cannot set the 400 fault"
ismsctl nc ack 6 --by auditor --note "sixth" > /dev/null || fail "nc ack 6"
ismsd --once --config "$conf" > "$out/run7.log" 2>&1 || fail "run 7 failed: $(tail -n 5 "$out/run7.log")"
grep -q "webhook alerts: gave up on event msg_.* after 1 attempt(s): .*400" "$out/run7.log" ||
	fail "6: 400 did not dead-letter: $(grep webhook "$out/run7.log")"
ismsctl webhook deliveries alerts --state dead --json > "$out/dead7.json"
python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); assert len(d)==1 and d[0]["last_status"]==400 and d[0]["nc_id"]==6, d' \
	"$out/dead7.json" || fail "6: the 400 dead letter"
ismsctl webhook retry alerts 999999 > /dev/null 2>&1 && fail "retry of an unknown event should fail"
control alerts POST "/__receiver/faults" '{"faults": [{"type": "status", "code": 410, "count": 1}]}' > /dev/null ||
	fail "cannot set the 410 fault"
ismsctl nc ack 7 --by auditor --note "seventh" > /dev/null || fail "nc ack 7"
ismsd --once --config "$conf" > "$out/run8.log" 2>&1 || fail "run 8 failed: $(tail -n 5 "$out/run8.log")"
grep -q "webhook alerts: the receiver answered 410 Gone: the endpoint is disabled" "$out/run8.log" ||
	fail "6: 410 did not disable: $(grep webhook "$out/run8.log")"
ismsctl webhook list > "$out/hooks8.txt"
grep -q "^alerts .* no (410) " "$out/hooks8.txt" || fail "6: webhook list: $(cat "$out/hooks8.txt")"
ismsctl nc ack 8 --by auditor --note "eighth" > /dev/null || fail "nc ack 8"
ismsd --once --config "$conf" > "$out/run9.log" 2>&1 || fail "run 9 failed"
control alerts GET "/__receiver/attempts" > "$out/attempts9.json"
python3 - "$out/attempts9.json" <<EOF || fail "6: a disabled endpoint got a request"
import json, sys
att = json.load(open(sys.argv[1]))
assert [a["status"] for a in att][-2:] == [400, 410], [a["status"] for a in att]
EOF
ismsctl webhook retry alerts > "$out/retry9.txt" || fail "webhook retry after 410"
grep -q "^2 event(s) requeued for webhook alerts" "$out/retry9.txt" || fail "retry: $(cat "$out/retry9.txt")"
ismsd --once --config "$conf" > "$out/run10.log" 2>&1 || fail "run 10 failed"
ismsctl webhook list --json > "$out/hooks10.json"
control alerts GET "/__receiver/deliveries" > "$out/deliveries10.json"
python3 - "$out/hooks10.json" "$out/deliveries10.json" <<EOF || fail "6: after retry"
import json, sys
$PYBODY
hooks, dels = (json.load(open(f)) for f in sys.argv[1:3])
h = [h for h in hooks if h["name"] == "alerts"][0]
assert h["disabled"] is None and h["deliveries"]["dead"] == 0 and h["deliveries"]["pending"] == 0, h
# 6, 7 and 8, each once, in order
assert [body(d)["data"]["nc_id"] for d in dels[-3:]] == [6, 7, 8], [body(d)["data"]["nc_id"] for d in dels]
EOF

# webhook test: one event, to that webhook only
control cloudevents GET "/__receiver/attempts" > "$out/ce-before-test.json" || fail "receiver cloudevents"
ismsctl --by operator webhook test alerts > "$out/test.txt" || fail "webhook test"
grep -q "^test event [0-9]* queued for webhook alerts" "$out/test.txt" || fail "webhook test: $(cat "$out/test.txt")"
ismsd --once --config "$conf" > "$out/run-test.log" 2>&1 || fail "the run after webhook test failed"
control alerts GET "/__receiver/deliveries" > "$out/deliveries-test.json"
control cloudevents GET "/__receiver/attempts" > "$out/ce-after-test.json" || fail "receiver cloudevents"
python3 - "$out/deliveries-test.json" "$out/ce-before-test.json" "$out/ce-after-test.json" <<EOF || fail "webhook test"
import json, sys
$PYBODY
dels, before, after = (json.load(open(f)) for f in sys.argv[1:4])
b = body(dels[-1])
assert b["type"] == "webhook.test" and b["data"]["webhook"] == "alerts" and b["data"]["actor"] == "operator", b
assert dels[-1]["accepted"], dels[-1]
assert len(after) == len(before), (len(before), len(after))
EOF
validate "$out/deliveries-test.json" > /dev/null || fail "webhook.test does not match the schema"

# ---- 8. a source that starts failing, then recovers: one event each -------
kpid=$(sed -n 5p "$dir/env/pids")
kport=$(tr -d '\n' < "$dir/env/knowbe4.port")
kill "$kpid"
sed -i 's/^type = knowbe4-training$/type = knowbe4-training\nmax_attempts = 1/' "$conf"
for r in alerts cloudevents pagerduty slack alertmanager; do
	control "$r" DELETE "/__receiver/attempts" > /dev/null || fail "receiver $r"
done
ismsd --once --config "$conf" > "$out/run11.log" 2>&1
[ $? = 2 ] || fail "run 11 should fail (exit 2): $(tail -n 3 "$out/run11.log")"
ismsd --once --config "$conf" > "$out/run12.log" 2>&1
[ $? = 2 ] || fail "run 12 should fail (exit 2)"
python3 "$src/tests/fakes/fake.py" --vendor knowbe4 --scenario breaching --now "$(date -u +%Y-%m-%dT%H:%M:%SZ)" \
	--cert "$pki/server.pem" --key "$pki/server.key" --port "$kport" \
	--port-file "$dir/knowbe4-again.port" > "$dir/knowbe4-again.out" 2>&1 &
others="$others $!"
i=0
while [ ! -s "$dir/knowbe4-again.port" ]; do
	i=$((i + 1))
	[ $i -gt 200 ] && fail "the knowbe4 fake did not restart: $(cat "$dir/knowbe4-again.out")"
	sleep 0.05
done
ismsd --once --config "$conf" > "$out/run13.log" 2>&1 || fail "run 13 failed: $(tail -n 3 "$out/run13.log")"
for r in alerts cloudevents pagerduty slack alertmanager; do
	control "$r" GET "/__receiver/attempts" > "$out/attempts13-$r.json" || fail "receiver $r"
done
python3 - "$out" <<EOF || fail "8: collector events"
import json, os, sys
$PYBODY
o = sys.argv[1]
att = {n: json.load(open(os.path.join(o, "attempts13-%s.json" % n)))
       for n in ("alerts", "cloudevents", "pagerduty", "slack", "alertmanager")}
for n, a in att.items():
    # two runs failed, one recovered: a failed and a recovered event, no more
    assert len(a) == 2 and all(x["accepted"] for x in a), (n, [(x["status"], x["reason"]) for x in a])
std = [body(x) for x in att["alerts"]]
assert [b["type"] for b in std] == ["collector.failed", "collector.recovered"], [b["type"] for b in std]
assert std[0]["data"]["source"] == "training" and std[0]["data"]["collector"] == "knowbe4-training", std[0]
assert std[0]["data"]["outcome"] == "failed" and std[0]["data"]["error"], std[0]
assert std[1]["data"]["outcome"] == "success" and std[1]["data"]["error"] is None, std[1]
pd = [body(x) for x in att["pagerduty"]]
assert [p["event_action"] for p in pd] == ["trigger", "resolve"], pd
assert pd[0]["dedup_key"] == pd[1]["dedup_key"] == "ismsd-collector-training", pd
am = [body(x) for x in att["alertmanager"]]
assert "endsAt" not in am[0][0] and "endsAt" in am[1][0], am
assert am[0][0]["labels"] == am[1][0]["labels"], am
EOF

validate "$out/attempts13-alerts.json" "$out/deliveries10.json" > /dev/null ||
	fail "the collector and updated events do not match the schema"

# ---- 9. alertmanager: open NCs re-sent as firing alerts ---------------------
start_receiver amresend alertmanager
others="$others $pid_amresend"
cat >> "$conf" <<EOF

[webhook amresend]
url = https://127.0.0.1:$port_amresend/api/v2/alerts
format = alertmanager
ca_file = $ca
resend_interval = 1s
EOF
ismsd --once --config "$conf" > "$out/run14.log" 2>&1 || fail "run 14 failed: $(tail -n 3 "$out/run14.log")"
control amresend GET "/__receiver/attempts" > "$out/attempts14.json" || fail "receiver amresend"
sleep 1.5
ismsd --once --config "$conf" > "$out/run15.log" 2>&1 || fail "run 15 failed: $(tail -n 3 "$out/run15.log")"
control amresend GET "/__receiver/attempts" > "$out/attempts15.json" || fail "receiver amresend"
ismsctl nc list --state open --json > "$out/open15.json"
python3 - "$out" <<EOF || fail "9: alertmanager re-sends"
import json, os, sys
$PYBODY
o = sys.argv[1]
open_ids = {str(n["id"]) for n in json.load(open(os.path.join(o, "open15.json")))}
assert open_ids, "no open NCs to re-send"
first = json.load(open(os.path.join(o, "attempts14.json")))
later = json.load(open(os.path.join(o, "attempts15.json")))[len(first):]
def batch(a):
    return {x["labels"].get("nc_id") for x in body(a) if "endsAt" not in x}
# a second or more after the webhook's first pass, the next run's passes
# re-send every open NC as a firing alert, in one request
full = [a for a in later if batch(a) == open_ids]
assert len(full) >= 1, [sorted(batch(a)) for a in later]
assert full[0]["accepted"] and all(a["accepted"] for a in later), [a["reason"] for a in later]
assert all("endsAt" not in x and x["labels"]["alertname"] == "IsmsdNonconformity" for x in body(full[0])), body(full[0])
EOF

# ---- 10. ismsctl wakes the running daemon: a change goes out at once -----------
n_started=$(grep -c ': ismsd .* started: ' "$dir/daemon.log")
start_daemon $((n_started + 1))
sleep 1
before=$(control alerts GET "/__receiver/deliveries" | python3 -c 'import json, sys; print(len(json.load(sys.stdin)))')
ismsctl --by operator webhook test alerts > /dev/null || fail "webhook test (wake)"
i=0
while :; do
	now=$(control alerts GET "/__receiver/deliveries" | python3 -c 'import json, sys; print(len(json.load(sys.stdin)))')
	[ "$now" -gt "$before" ] && break
	i=$((i + 1))
	# the wake-up, not the 5 min fallback poll, sent it
	[ $i -gt 40 ] && fail "10: the test event did not arrive within 4 s of ismsctl (no wake-up?)"
	sleep 0.1
done
grep -q ': woken by pid [0-9]* (SIGUSR1): delivering the outbox now$' "$dir/daemon.log" ||
	fail "10: the daemon was not woken: $(tail -5 "$dir/daemon.log")"
# 10b. the running daemon keeps the re-sends going by itself (resend_interval
# = 1s on amresend): no run is due, so only its deliver timer sends them
count_amresend() {
	control amresend GET "/__receiver/attempts" | python3 -c 'import json, sys; print(len(json.load(sys.stdin)))'
}
before=$(count_amresend)
sleep 5
after=$(count_amresend)
[ $((after - before)) -ge 2 ] ||
	fail "10b: $((after - before)) re-send(s) to amresend in 5 s with resend_interval = 1s; want 2 or more"
stop_daemon

# ---- 7. the secret is nowhere in what ismsd or ismsctl wrote --------------
for f in "$out"/* "$dir/daemon.log" "$dir/env/state"/evidence.db*; do
	grep -aqF -- "$secret" "$f" && fail "the webhook secret is in $(basename "$f")"
	grep -aqF -- "${secret#whsec_}" "$f" && fail "the webhook key is in $(basename "$f")"
done
echo "PASS: check-webhooks (5 formats, outage, 503x3, SIGKILL, dead letter and retry, 400, 410, webhook test, collector failed and recovered)"
