#!/usr/bin/env python3
"""bench/baseline.py: one of the "usual alternatives" make bench compares
ismsd's ingest with (issue #9): the script a GRC engineer would write with
the Python 3 standard library.  urllib.request fetches each page (a new
HTTPS connection per request, as urllib does), json parses it (CloudTrail:
each event's CloudTrailEvent string as well), hashlib hashes it, and sqlite3
stores the page and one row per event, following the vendor's pagination.

    baseline.py --shape cloudtrail|azure|knowbe4 --url https://127.0.0.1:PORT
        --ca CA.pem --db FILE [--secret-file FILE] [--max-events N]

--secret-file holds the Entra ID client secret (azure) or the bearer token
(knowbe4).  --max-events stops after the page that reaches N events (a
slice).  Prints one JSON line: {"events": N, "pages": N, "bytes": N}.
The store has the schema of bench/limit.c.
"""

import argparse
import hashlib
import json
import sqlite3
import ssl
import sys
import time
import urllib.parse
import urllib.request

TENANT = "11111111-2222-3333-4444-555555555555"
CLIENT_ID = "aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee"
SUBSCRIPTION = "00000000-1111-2222-3333-444444444444"
LOOKBACK = 2 * 86400

SCHEMA = """
PRAGMA journal_mode = WAL;
PRAGMA synchronous = NORMAL;
CREATE TABLE IF NOT EXISTS pages (sha256 TEXT PRIMARY KEY, size INTEGER NOT NULL, data BLOB NOT NULL) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS events (run INTEGER NOT NULL, source TEXT NOT NULL, event_id TEXT NOT NULL,
    event_time NOT NULL, page TEXT NOT NULL, offset INTEGER NOT NULL);
CREATE UNIQUE INDEX IF NOT EXISTS events_time_id ON events (event_time, event_id);
"""


class Store:
    def __init__(self, path, source):
        self.db = sqlite3.connect(path)
        self.db.executescript(SCHEMA)
        self.source = source
        self.events = self.pages = self.bytes = 0

    def save(self, raw, rows):
        """Stores one page and its rows [(event id, event time), ...] in one transaction."""
        sha = hashlib.sha256(raw).hexdigest()
        with self.db:
            self.db.execute("INSERT OR IGNORE INTO pages (sha256, size, data) VALUES (?, ?, ?)", (sha, len(raw), raw))
            self.db.executemany("INSERT OR IGNORE INTO events (run, source, event_id, event_time, page, offset)"
                                " VALUES (1, ?, ?, ?, ?, ?)",
                                [(self.source, eid, when, sha, i) for i, (eid, when) in enumerate(rows)])
        self.events += len(rows)
        self.pages += 1
        self.bytes += len(raw)


def fetch(ctx, url, data=None, headers=None):
    req = urllib.request.Request(url, data=data, headers=headers or {})
    with urllib.request.urlopen(req, context=ctx, timeout=60) as r:
        return r.read()


def cloudtrail(a, ctx, store):
    end = int(time.time())
    body = {"StartTime": end - LOOKBACK, "EndTime": end, "MaxResults": 50}
    headers = {"Content-Type": "application/x-amz-json-1.1",
               "X-Amz-Target": "com.amazonaws.cloudtrail.v20131101.CloudTrail_20131101.LookupEvents"}
    while True:
        raw = fetch(ctx, a.url + "/", json.dumps(body).encode(), headers)
        page = json.loads(raw)
        rows = []
        for ev in page["Events"]:
            record = json.loads(ev["CloudTrailEvent"])
            rows.append((record["eventID"], int(ev["EventTime"])))
        store.save(raw, rows)
        token = page.get("NextToken")
        if not token or (a.max_events and store.events >= a.max_events):
            break
        body["NextToken"] = token


def azure(a, ctx, store):
    with open(a.secret_file) as f:
        secret = f.read().strip()
    form = urllib.parse.urlencode({"client_id": CLIENT_ID, "scope": "https://management.azure.com/.default",
                                   "client_secret": secret, "grant_type": "client_credentials"}).encode()
    token = json.loads(fetch(ctx, "%s/%s/oauth2/v2.0/token" % (a.url, TENANT), form))["access_token"]
    headers = {"Authorization": "Bearer " + token}
    end = int(time.time())
    iso = lambda t: time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(t))
    query = urllib.parse.urlencode({"api-version": "2015-04-01", "$filter": "eventTimestamp ge '%s' and "
                                    "eventTimestamp le '%s'" % (iso(end - LOOKBACK), iso(end))})
    url = "%s/subscriptions/%s/providers/Microsoft.Insights/eventtypes/management/values?%s" % (
        a.url, SUBSCRIPTION, query)
    while url:
        raw = fetch(ctx, url, headers=headers)
        page = json.loads(raw)
        store.save(raw, [(ev["eventDataId"], ev["eventTimestamp"]) for ev in page["value"]])
        url = page.get("nextLink")
        if a.max_events and store.events >= a.max_events:
            break


def knowbe4(a, ctx, store):
    with open(a.secret_file) as f:
        headers = {"Authorization": "Bearer " + f.read().strip(), "Accept": "application/json"}
    page_no = 1
    while True:
        raw = fetch(ctx, "%s/v1/training/enrollments?page=%d&per_page=500" % (a.url, page_no), headers=headers)
        page = json.loads(raw)
        store.save(raw, [(str(e["enrollment_id"]), e["enrollment_date"]) for e in page])
        if not page or (a.max_events and store.events >= a.max_events):
            break
        page_no += 1


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--shape", required=True, choices=("cloudtrail", "azure", "knowbe4"))
    ap.add_argument("--url", required=True)
    ap.add_argument("--ca", required=True)
    ap.add_argument("--db", required=True)
    ap.add_argument("--secret-file")
    ap.add_argument("--max-events", type=int, default=0)
    a = ap.parse_args()
    ctx = ssl.create_default_context(cafile=a.ca)
    store = Store(a.db, a.shape)
    {"cloudtrail": cloudtrail, "azure": azure, "knowbe4": knowbe4}[a.shape](a, ctx, store)
    store.db.close()
    print(json.dumps({"events": store.events, "pages": store.pages, "bytes": store.bytes}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
