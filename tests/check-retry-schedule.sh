#!/bin/sh
# check-retry-schedule.sh: a webhook receiver that is down for a whole day,
# on the real Standard Webhooks retry schedule (5 s, 5 min, 30 min, 2 h, 5 h,
# 10 h, 14 h, 20 h, 24 h), with the clock simulated: after each attempt the
# test moves the delivery's due time into the past (as if the wait had gone
# by) and runs `ismsd --once`, which delivers what is due.  Every wait must
# be the schedule's step plus at most 20 % jitter (or the receiver's
# Retry-After); the event keeps its webhook-id, is tried 10 times, and is
# then dead-lettered, with the failure recorded.
set -u
dir=$(mktemp -d) || exit 99
trap 'rm -rf "$dir"' EXIT
fail() {
	echo "FAIL: $*"
	exit 1
}
ismsd() { ${TEST_WRAPPER:-} "$ISMSD" "$@"; }
ismsctl() { "$ISMSCTL" --config "$conf" "$@"; }
db="$dir/state/evidence.db"
conf="$dir/ismsd.conf"
# Nothing listens on port 1 of 127.0.0.1: every attempt is refused.
cat > "$conf" <<EOF
[daemon]
state_dir = $dir/state

[report]
scheduled = no

[source ismsd]
type = self

[webhook down]
url = https://127.0.0.1:1/hooks/ismsd
EOF
ismsd --once --config "$conf" > "$dir/run0.log" 2>&1 || fail "first run: $(tail -3 "$dir/run0.log")"
ismsctl webhook test down > /dev/null || fail "webhook test"
steps="5 300 1800 7200 18000 36000 50400 72000 86400"
attempt=0
for want in $steps ""; do
	attempt=$((attempt + 1))
	ismsd --once --config "$conf" > "$dir/run$attempt.log" 2>&1 || fail "run $attempt: $(tail -3 "$dir/run$attempt.log")"
	row=$(sqlite3 -separator ' ' "$db" "SELECT d.attempts, d.state, coalesce(d.next_at - d.last_at, -1), o.msg_id
		FROM deliveries d JOIN outbox o ON o.id = d.outbox_id WHERE d.webhook = 'down' AND o.type = 'webhook.test'")
	set -- $row
	[ "$1" = "$attempt" ] || fail "after run $attempt: $1 attempts ($row)"
	msg=$4
	[ -z "${first_msg:-}" ] && first_msg=$msg
	[ "$msg" = "$first_msg" ] || fail "the message id changed: $first_msg, then $msg"
	if [ -n "$want" ]; then
		[ "$2" = pending ] || fail "attempt $attempt: state $2, want pending"
		wait=$3
		max=$((want + want / 5 + 1))
		[ "$wait" -ge "$want" ] && [ "$wait" -le "$max" ] ||
			fail "attempt $attempt: waits ${wait}s, want ${want}s plus at most 20 % ($max)"
		# the wait goes by
		sqlite3 "$db" "UPDATE deliveries SET next_at = strftime('%s', 'now') - 1 WHERE webhook = 'down' AND state = 'pending'"
	else
		[ "$2" = dead ] || fail "after the last attempt: state $2, want dead"
	fi
done
grep -q "webhook down: gave up on event $first_msg (webhook.test) after 10 attempt(s)" "$dir/run10.log" ||
	fail "no give-up line: $(tail -3 "$dir/run10.log")"
ismsctl webhook list --json > "$dir/list.json"
[ "$(jq -r '.[] | select(.name == "down") | .deliveries.dead' "$dir/list.json")" = 1 ] ||
	fail "webhook list: $(cat "$dir/list.json")"
jq -r '.[] | select(.name == "down") | .last_error' "$dir/list.json" | grep -q "Couldn't connect" ||
	fail "the last error is not recorded: $(cat "$dir/list.json")"
echo "PASS: check-retry-schedule (10 attempts over a simulated 75 h, each wait within the schedule plus 20 % jitter, then dead)"
