#!/bin/bash
# bench/baseline.sh: one of the "usual alternatives" make bench compares
# ismsd's ingest with (issue #9): the pipeline an ops team would write with
# bash, curl, jq and the sqlite3 shell.  One curl per page (a new HTTPS
# connection each time: keep-alive does not outlive a curl process), the page
# hashed with sha256sum, its rows made by jq (CloudTrail: with each event's
# CloudTrailEvent string parsed by fromjson) and loaded with one sqlite3 per
# page (the page as a blob with readfile() and the rows with .import, in one
# transaction), following the vendor's pagination.
#
#   baseline.sh --shape cloudtrail|azure|knowbe4 --url https://127.0.0.1:PORT
#       --ca CA.pem --db FILE [--secret-file FILE] [--max-events N]
#
# --secret-file holds the Entra ID client secret (azure) or the bearer token
# (knowbe4).  --max-events stops after the page that reaches N events (make
# bench runs this on a slice).  Prints one JSON line: events, pages, bytes.
# The store has the schema of bench/limit.c.
set -euo pipefail

shape='' url='' ca='' db='' secret_file='' max_events=0
while [ $# -gt 0 ]; do
	case $1 in
	--shape) shape=$2 ;;
	--url) url=$2 ;;
	--ca) ca=$2 ;;
	--db) db=$2 ;;
	--secret-file) secret_file=$2 ;;
	--max-events) max_events=$2 ;;
	*) echo "baseline.sh: unknown option $1" >&2; exit 2 ;;
	esac
	shift 2
done
if [ -z "$shape" ] || [ -z "$url" ] || [ -z "$ca" ] || [ -z "$db" ]; then
	echo "usage: baseline.sh --shape S --url URL --ca CA --db FILE [--secret-file F] [--max-events N]" >&2
	exit 2
fi

tenant=11111111-2222-3333-4444-555555555555
client_id=aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee
subscription=00000000-1111-2222-3333-444444444444
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
page=$work/page.json
rows=$work/rows.tsv

sqlite3 "$db" >/dev/null <<'SQL'
PRAGMA journal_mode = WAL;
CREATE TABLE IF NOT EXISTS pages (sha256 TEXT PRIMARY KEY, size INTEGER NOT NULL, data BLOB NOT NULL) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS events (run INTEGER NOT NULL, source TEXT NOT NULL, event_id TEXT NOT NULL,
    event_time NOT NULL, page TEXT NOT NULL, offset INTEGER NOT NULL);
CREATE UNIQUE INDEX IF NOT EXISTS events_time_id ON events (event_time, event_id);
SQL

events=0 pages=0 bytes=0
# Stores $page (its SHA-256 is $1) and the rows jq made of it ($rows), in one
# transaction.
save() {
	local sha=$1 size n
	size=$(stat -c %s "$page")
	sqlite3 "$db" <<SQL
PRAGMA synchronous = NORMAL;
.mode tabs
BEGIN;
INSERT OR IGNORE INTO pages (sha256, size, data) VALUES ('$sha', $size, readfile('$page'));
.import $rows events
COMMIT;
SQL
	n=$(wc -l < "$rows")
	events=$((events + n))
	pages=$((pages + 1))
	bytes=$((bytes + size))
}

enough() {
	[ "$max_events" -gt 0 ] && [ "$events" -ge "$max_events" ]
}

end=$(date +%s)
start=$((end - 172800))
case $shape in
cloudtrail)
	token=
	while :; do
		body=$(jq -cn --argjson s "$start" --argjson e "$end" --arg t "$token" \
			'{StartTime: $s, EndTime: $e, MaxResults: 50} + (if $t == "" then {} else {NextToken: $t} end)')
		curl -sS --fail --cacert "$ca" -o "$page" \
			-H 'Content-Type: application/x-amz-json-1.1' \
			-H 'X-Amz-Target: com.amazonaws.cloudtrail.v20131101.CloudTrail_20131101.LookupEvents' \
			--data-binary "$body" "$url/"
		sha=$(sha256sum "$page" | cut -d' ' -f1)
		jq -r --arg sha "$sha" '.Events | to_entries[]
			| [1, "cloudtrail", (.value.CloudTrailEvent | fromjson | .eventID), (.value.EventTime | floor), $sha, .key]
			| @tsv' "$page" > "$rows"
		save "$sha"
		token=$(jq -r '.NextToken // empty' "$page")
		if [ -z "$token" ] || enough; then break; fi
	done
	;;
azure)
	token=$(curl -sS --fail --cacert "$ca" \
		--data-urlencode "client_id=$client_id" \
		--data-urlencode "scope=https://management.azure.com/.default" \
		--data-urlencode "client_secret=$(head -n 1 "$secret_file")" \
		--data-urlencode "grant_type=client_credentials" \
		"$url/$tenant/oauth2/v2.0/token" | jq -r .access_token)
	from=$(date -u -d "@$start" +%Y-%m-%dT%H:%M:%SZ)
	to=$(date -u -d "@$end" +%Y-%m-%dT%H:%M:%SZ)
	next="$url/subscriptions/$subscription/providers/Microsoft.Insights/eventtypes/management/values?api-version=2015-04-01"
	first=1
	while :; do
		if [ $first = 1 ]; then
			curl -sS --fail --cacert "$ca" -o "$page" -H "Authorization: Bearer $token" -G \
				--data-urlencode "\$filter=eventTimestamp ge '$from' and eventTimestamp le '$to'" "$next"
			first=0
		else
			curl -sS --fail --cacert "$ca" -o "$page" -H "Authorization: Bearer $token" "$next"
		fi
		sha=$(sha256sum "$page" | cut -d' ' -f1)
		jq -r --arg sha "$sha" '.value | to_entries[]
			| [1, "azure", .value.eventDataId, .value.eventTimestamp, $sha, .key] | @tsv' "$page" > "$rows"
		save "$sha"
		next=$(jq -r '.nextLink // empty' "$page")
		if [ -z "$next" ] || enough; then break; fi
	done
	;;
knowbe4)
	token=$(head -n 1 "$secret_file")
	n=1
	while :; do
		curl -sS --fail --cacert "$ca" -o "$page" -H "Authorization: Bearer $token" -H 'Accept: application/json' \
			"$url/v1/training/enrollments?page=$n&per_page=500"
		sha=$(sha256sum "$page" | cut -d' ' -f1)
		jq -r --arg sha "$sha" 'to_entries[]
			| [1, "knowbe4", .value.enrollment_id, .value.enrollment_date, $sha, .key] | @tsv' "$page" > "$rows"
		save "$sha"
		if [ "$(jq length "$page")" = 0 ] || enough; then break; fi
		n=$((n + 1))
	done
	;;
*)
	echo "baseline.sh: unknown shape $shape" >&2
	exit 2
	;;
esac
printf '{"events": %d, "pages": %d, "bytes": %d}\n' "$events" "$pages" "$bytes"
