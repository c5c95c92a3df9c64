#!/usr/bin/env python3
"""Behavioural tests of the fakes themselves (stdlib client, no curl).

    python3 test_fakes.py CERTDIR     (CERTDIR made by mkcerts.sh)

Starts each vendor fake, walks every page with a real client (SigV4 from
sigv4.py, JWT from rs256.py), compares what it collected with
`fake.py --summary`, and exercises auth failures, token caching hooks, the
control endpoint and every fault type. Exits 0 when all checks pass.
selftest.sh runs it after its curl smoke tests.
"""

import http.client
import json
import os
import shutil
import socket
import ssl
import subprocess
import sys
import tempfile
import time
import urllib.parse
import warnings

warnings.simplefilter("ignore", DeprecationWarning)
HERE = os.path.dirname(os.path.abspath(__file__))
sys.dont_write_bytecode = True
sys.path.insert(0, HERE)
import rs256  # noqa: E402
import sigv4  # noqa: E402

AKID, SECRET = sigv4.SUITE_AKID, sigv4.SUITE_SECRET
FAILS = []
CHECKS = [0]


def check(what, cond, detail=""):
    CHECKS[0] += 1
    if not cond:
        FAILS.append(what)
        print("FAIL: %s %s" % (what, detail))


class Fake:
    def __init__(self, certs, work, vendor, *extra, cert="server"):
        self.work = work
        self.port_file = os.path.join(work, "%s-%d.port" % (vendor, time.monotonic_ns()))
        self.log = self.port_file.replace(".port", ".log")
        args = [sys.executable, os.path.join(HERE, "fake.py"), "--vendor", vendor,
                "--cert", os.path.join(certs, cert + ".pem"),
                "--key", os.path.join(certs, cert + ".key"),
                "--port-file", self.port_file, "--log", self.log] + list(extra)
        self.proc = subprocess.Popen(args)
        for _ in range(200):
            if os.path.exists(self.port_file):
                break
            if self.proc.poll() is not None:
                raise RuntimeError("fake %s exited" % vendor)
            time.sleep(0.02)
        with open(self.port_file) as f:
            self.port = int(f.read())
        self.ctx = ssl.create_default_context(cafile=os.path.join(certs, "ca.pem"))
        self.conn = None

    def stop(self):
        self.proc.terminate()
        try:
            self.proc.wait(5)
        except subprocess.TimeoutExpired:
            self.proc.kill()

    def connect(self, timeout=10):
        return http.client.HTTPSConnection("127.0.0.1", self.port, context=self.ctx,
                                           timeout=timeout)

    def request(self, method, path, body=None, headers=None, keep=True):
        """-> (status, headers dict(lower), parsed JSON or raw bytes)."""
        if self.conn is None or not keep:
            self.conn = self.connect()
        if isinstance(body, (dict, list)):
            body = json.dumps(body).encode()
        elif isinstance(body, str):
            body = body.encode()
        self.conn.request(method, path, body=body, headers=headers or {})
        r = self.conn.getresponse()
        data = r.read()
        hdrs = {k.lower(): v for k, v in r.getheaders()}
        if r.getheader("Connection", "").lower() == "close":
            self.conn.close()
            self.conn = None
        try:
            return r.status, hdrs, json.loads(data) if data else None
        except ValueError:
            return r.status, hdrs, data

    def control(self, method, path, body=None):
        c = self.connect()
        c.request(method, path, body=json.dumps(body).encode() if body is not None else None)
        r = c.getresponse()
        out = json.loads(r.read())
        c.close()
        return r.status, out

    def faults(self, *faults):
        st, out = self.control("POST", "/__fake/faults", {"faults": list(faults)})
        assert st == 200, out

    def log_entries(self):
        with open(self.log) as f:
            return [json.loads(line) for line in f]


def summary(vendor, scenario, *extra):
    out = subprocess.run([sys.executable, os.path.join(HERE, "fake.py"), "--vendor", vendor,
                          "--scenario", scenario, "--summary"] + list(extra),
                         check=True, capture_output=True, text=True).stdout
    return json.loads(out)


# ---------------------------------------------------------------- AWS helpers

def aws_json(fake, service, target, body, region="us-east-1", secret=SECRET, token=None,
             keep=True):
    data = json.dumps(body, separators=(",", ":")).encode()
    url = "https://127.0.0.1:%d/" % fake.port
    headers = [("Content-Type", "application/x-amz-json-1.1"), ("X-Amz-Target", target)]
    extra = sigv4.sign_headers("POST", url, headers, data, AKID, secret, region, service,
                               session_token=token)
    return fake.request("POST", "/", data, dict(headers + extra), keep=keep)


def aws_get(fake, service, path, region="us-east-1"):
    url = "https://127.0.0.1:%d%s" % (fake.port, path)
    extra = sigv4.sign_headers("GET", url, [], b"", AKID, SECRET, region, service)
    return fake.request("GET", path, None, dict(extra))


def test_ssm(certs, work):
    f = Fake(certs, work, "aws-ssm", "--scenario", "breaching")
    try:
        tgt = "AmazonSSM.DescribeInstanceInformation"
        pages, ids, tok = [], [], None
        while True:
            body = {"MaxResults": 50}
            if tok:
                body["NextToken"] = tok
            st, _, out = aws_json(f, "ssm", tgt, body)
            check("ssm info 200", st == 200, out)
            pages.append(len(out["InstanceInformationList"]))
            ids += [i["InstanceId"] for i in out["InstanceInformationList"]]
            tok = out.get("NextToken")
            if not tok:
                break
        check("ssm info pages 10/10/5", pages == [10, 10, 5], pages)
        states, tok, pages = [], None, 0
        while True:
            body = {"InstanceIds": ids, "MaxResults": 100}
            if tok:
                body["NextToken"] = tok
            st, _, out = aws_json(f, "ssm", "AmazonSSM.DescribeInstancePatchStates", body)
            check("ssm states 200", st == 200, out)
            states += out["InstancePatchStates"]
            pages += 1
            tok = out.get("NextToken")
            if not tok:
                break
        s = summary("aws-ssm", "breaching")
        crit = sum(1 for x in states if x["CriticalNonCompliantCount"])
        check("ssm 3 pages of states", pages == 3, pages)
        check("ssm critical count matches summary", crit == s["with_critical_missing"] == 4)
        check("ssm timestamps are epoch numbers",
              all(isinstance(x["OperationEndTime"], float) for x in states))
        # token replay with other params
        st, _, out = aws_json(f, "ssm", "AmazonSSM.DescribeInstancePatchStates",
                              {"InstanceIds": ids[:5], "NextToken": tok or "AAAA"})
        check("ssm bad token", st == 400 and out["__type"] == "InvalidNextToken", out)
        st, _, out = aws_json(f, "ssm", "AmazonSSM.DescribeInstancePatchStates",
                              {"InstanceIds": ids, "MaxResults": 200})
        check("ssm MaxResults validation", st == 400 and out["__type"] == "ValidationException", out)
        st, _, out = aws_json(f, "ssm", "AmazonSSM.DescribeInstancePatchStates",
                              {"InstanceIds": ids[:1]}, secret="nope")
        check("ssm bad secret 403", st == 403 and out["__type"] == "InvalidSignatureException", out)
        st, _, out = aws_json(f, "ssm", "AmazonSSM.DescribeInstancePatchStates",
                              {"InstanceIds": ids[:1]}, region="eu-west-1")
        check("ssm wrong region 403", st == 403, out)
        st, _, out = f.request("POST", "/", b"{}", {"Content-Type": "application/x-amz-json-1.1",
                                                    "X-Amz-Target": tgt})
        check("ssm missing auth", st == 400 and
              out["__type"] == "MissingAuthenticationTokenException", out)
        st, _, out = aws_json(f, "cloudtrail", tgt, {})
        check("ssm wrong service scope", st == 403, out)
        st, _, out = aws_json(f, "ssm", "AmazonSSM.Nope", {})
        check("ssm unknown op", st == 400 and out["__type"] == "UnknownOperationException", out)
        # throttle + 5xx via control endpoint
        f.faults({"type": "throttle", "count": 2}, {"type": "error5xx", "count": 1, "code": 500})
        codes = [aws_json(f, "ssm", tgt, {})[0] for _ in range(4)]
        check("ssm throttle,throttle,500,200", codes == [400, 400, 500, 200], codes)
        log = f.log_entries()
        check("ssm log hides auth", all("Authorization" not in json.dumps(e["headers"]) and
                                        "Signature=" not in json.dumps(e) for e in log))
        check("ssm log has faults", [e["fault"] for e in log][-4:] ==
              ["throttle", "throttle", "error5xx", None])
        check("ssm keep-alive reused connection", len({e["conn"] for e in log}) < len(log))
    finally:
        f.stop()
    # session token
    f = Fake(certs, work, "aws-ssm", "--session-token", "sess-123")
    try:
        st, _, out = aws_json(f, "ssm", "AmazonSSM.DescribeInstanceInformation", {},
                              token="sess-123")
        check("ssm session token accepted", st == 200, out)
        st, _, out = aws_json(f, "ssm", "AmazonSSM.DescribeInstanceInformation", {})
        check("ssm session token required", st == 403, out)
    finally:
        f.stop()


def test_cloudtrail(certs, work):
    f = Fake(certs, work, "aws-cloudtrail", "--scenario", "breaching")
    tgt = "com.amazonaws.cloudtrail.v20131101.CloudTrail_20131101.LookupEvents"
    try:
        events, tok, pages = [], None, 0
        while True:
            body = {"MaxResults": 50}
            if tok:
                body["NextToken"] = tok
            st, _, out = aws_json(f, "cloudtrail", tgt, body)
            check("ct 200", st == 200, out)
            events += out["Events"]
            pages += 1
            tok = out.get("NextToken")
            if not tok:
                break
        s = summary("aws-cloudtrail", "breaching")
        check("ct 4 pages, 200 events", pages == 4 and len(events) == 200, (pages, len(events)))
        check("ct newest first", all(events[i]["EventTime"] >= events[i + 1]["EventTime"]
                                     for i in range(len(events) - 1)))
        inner = [json.loads(e["CloudTrailEvent"]) for e in events]
        check("ct root activity", sum(1 for e in inner if e["userIdentity"]["type"] == "Root")
              == s["root_activity"] == 2)
        stop = s["special_event_times"]["UpdateTrail"]
        st, _, out = aws_json(f, "cloudtrail", tgt, {"StartTime": stop, "MaxResults": 50})
        got = out["Events"]
        while out.get("NextToken"):
            st, _, out = aws_json(f, "cloudtrail", tgt, {"StartTime": stop, "MaxResults": 50,
                                                         "NextToken": out["NextToken"]})
            got += out["Events"]
        check("ct incremental StartTime", all(e["EventTime"] >= stop for e in got) and
              len(got) == sum(1 for e in events if e["EventTime"] >= stop), len(got))
        st, _, out = aws_json(f, "cloudtrail", tgt, {"LookupAttributes": [
            {"AttributeKey": "EventName", "AttributeValue": "StopLogging"}]})
        check("ct EventName filter", [e["EventName"] for e in out["Events"]] == ["StopLogging"],
              out)
        st, _, out = aws_json(f, "cloudtrail", tgt, {"StartTime": "2026-11-23T00:00:00Z"})
        check("ct ISO StartTime rejected", st == 400 and
              out["__type"] == "SerializationException", out)
        st, _, out = aws_json(f, "cloudtrail", tgt, {"StartTime": 2, "EndTime": 1})
        check("ct bad range", st == 400 and out["__type"] == "InvalidTimeRangeException", out)
        st, _, out = aws_json(f, "cloudtrail",
                              "com.amazonaws.cloudtrail.v20131101.CloudTrail_20131101.GetTrailStatus",
                              {"Name": "org-trail"})
        check("ct trail stopped", st == 200 and out["IsLogging"] is False, out)
        # loop fault: same token forever
        f.faults({"type": "loop"})
        toks = []
        body = {}
        for _ in range(3):
            st, _, out = aws_json(f, "cloudtrail", tgt, body)
            toks.append(out.get("NextToken"))
            body = {"NextToken": out["NextToken"]}
        check("ct loop same token", toks[0] and len(set(toks)) == 1, toks)
        f.control("DELETE", "/__fake/faults")
        # truncate: declared length, half body, closed
        f.faults({"type": "truncate"})
        try:
            aws_json(f, "cloudtrail", tgt, {}, keep=False)
            check("ct truncate raises", False)
        except http.client.IncompleteRead as e:
            check("ct truncate half", 0 < len(e.partial) < e.expected + len(e.partial))
        except (ssl.SSLError, ConnectionError) as e:
            check("ct truncate raises", True, e)
        # stall with a short client timeout
        f.faults({"type": "stall", "seconds": 30})
        data = json.dumps({}).encode()
        c = f.connect(timeout=1)
        url = "https://127.0.0.1:%d/" % f.port
        hdrs = [("Content-Type", "application/x-amz-json-1.1"), ("X-Amz-Target", tgt)]
        hdrs += sigv4.sign_headers("POST", url, hdrs[:2], data, AKID, SECRET, "us-east-1",
                                   "cloudtrail")
        c.request("POST", "/", data, dict(hdrs))
        r = c.getresponse()
        try:
            r.read()
            check("ct stall times out", False)
        except (socket.timeout, TimeoutError):
            check("ct stall times out", True)
        c.close()
        # oversize: 10 GiB chunked; read 2 MiB then hang up
        f.faults({"type": "oversize", "bytes": 10 * 1024 ** 3})
        c = f.connect()
        hdrs = [("Content-Type", "application/x-amz-json-1.1"), ("X-Amz-Target", tgt)]
        hdrs += sigv4.sign_headers("POST", url, hdrs[:2], data, AKID, SECRET, "us-east-1",
                                   "cloudtrail")
        c.request("POST", "/", data, dict(hdrs))
        r = c.getresponse()
        head = r.read(2 * 1024 * 1024)
        check("ct oversize streams", r.status == 200 and head.startswith(b'{"Events":[{') and
              r.getheader("Transfer-Encoding") == "chunked" and len(head) == 2 * 1024 ** 2)
        c.close()
        # oversize with Content-Length, small so we can parse it all
        f.faults({"type": "oversize", "bytes": 300000, "mode": "length"})
        st, h, out = aws_json(f, "cloudtrail", tgt, {}, keep=False)
        check("ct oversize length valid JSON", st == 200 and isinstance(out, dict) and
              int(h["content-length"]) == 300000 and len(out["Events"]) > 10)
        # redirects
        f.faults({"type": "redirect_http"}, {"type": "redirect_host"})
        st1, h1, _ = aws_json(f, "cloudtrail", tgt, {})
        st2, h2, _ = aws_json(f, "cloudtrail", tgt, {})
        check("ct redirect_http", st1 == 302 and
              h1["location"] == "http://127.0.0.1:%d/" % f.port, h1)
        check("ct redirect_host", st2 == 302 and
              h2["location"].startswith("https://another-host.invalid/"), h2)
    finally:
        f.stop()


def test_backup(certs, work):
    f = Fake(certs, work, "aws-backup", "--scenario", "breaching")
    try:
        jobs, tok, pages = [], None, 0
        while True:
            q = "maxResults=100" + ("&nextToken=" + urllib.parse.quote(tok, safe="") if tok else "")
            st, _, out = aws_get(f, "backup", "/backup-jobs/?" + q)
            check("backup 200", st == 200, out)
            jobs += out["BackupJobs"]
            pages += 1
            tok = out.get("NextToken")
            if not tok:
                break
        s = summary("aws-backup", "breaching")
        check("backup 4 pages / 82 jobs", pages == 4 and len(jobs) == s["jobs"] == 82,
              (pages, len(jobs)))
        st, _, out = aws_get(f, "backup", "/backup-jobs/?state=FAILED&createdAfter=" +
                             urllib.parse.quote("2026-11-22T00:00:00Z"))
        check("backup filters", st == 200 and len(out["BackupJobs"]) == 2, out)
        st, _, out = aws_get(f, "backup", "/backup-jobs/?createdAfter=1795478400")
        check("backup epoch createdAfter rejected", st == 400, out)
        f.faults({"type": "throttle", "count": 1})
        st, h, out = aws_get(f, "backup", "/backup-jobs/")
        check("backup throttle 429", st == 429 and h.get("x-amzn-errortype") ==
              "ThrottlingException", (st, h))
        st, h, out = f.request("GET", "/backup-jobs/")
        check("backup missing auth 403", st == 403, out)
    finally:
        f.stop()


def test_fleet(certs, work):
    f = Fake(certs, work, "fleet", "--scenario", "breaching")
    auth = {"Authorization": "Bearer test-token-fleet"}
    try:
        hosts, page, sizes = [], 0, []
        while True:
            st, _, out = f.request("GET", "/api/v1/fleet/hosts?page=%d&per_page=100"
                                   "&populate_software=true" % page, headers=auth)
            check("fleet 200", st == 200, out)
            hosts += out["hosts"]
            sizes.append(len(out["hosts"]))
            if len(out["hosts"]) < 100:
                break
            page += 1
        check("fleet pages 100/100/50", sizes == [100, 100, 50], sizes)
        s = summary("fleet", "breaching")
        crit = sum(1 for h in hosts if h["issues"]["critical_vulnerabilities_count"])
        check("fleet critical hosts", crit == s["with_critical_vulns"] == 10)
        st, _, out = f.request("GET", "/api/v1/fleet/hosts", headers={
            "Authorization": "Bearer wrong"})
        check("fleet wrong token 401", st == 401 and out["message"] == "Authentication failed",
              out)
        f.faults({"type": "throttle", "retry_after_seconds": 2, "retry_after_date": True})
        st, h, out = f.request("GET", "/api/v1/fleet/hosts", headers=auth)
        check("fleet 429 with HTTP-date", st == 429 and h["retry-after"].endswith("GMT"), h)
        st, _, out = f.request("GET", "/api/v1/fleet/vulnerabilities?per_page=2", headers=auth)
        check("fleet vulns meta", st == 200 and out["meta"]["has_next_results"] is True and
              out["count"] == 3, out)
    finally:
        f.stop()


def test_knowbe4(certs, work):
    f = Fake(certs, work, "knowbe4", "--scenario", "breaching")
    auth = {"Authorization": "Bearer test-token-knowbe4"}
    try:
        allr, page, sizes = [], 1, []
        while True:
            st, _, out = f.request("GET", "/v1/training/enrollments?page=%d&per_page=500" % page,
                                   headers=auth)
            check("kb4 200", st == 200 and isinstance(out, list), out)
            sizes.append(len(out))
            if not out:
                break
            allr += out
            page += 1
        check("kb4 pages 500/500/50/0", sizes == [500, 500, 50, 0], sizes)
        st_counts = {}
        for e in allr:
            st_counts[e["status"]] = st_counts.get(e["status"], 0) + 1
        check("kb4 statuses", st_counts == summary("knowbe4", "breaching")["status"], st_counts)
        cur, n = "true", 0
        while cur:
            st, _, out = f.request("GET", "/v1/training/enrollments?per_page=500&cursor=" +
                                   urllib.parse.quote(cur), headers=auth)
            n += len(out["data"])
            cur = out["_metadata"]["next_cursor"]
        check("kb4 cursor mode", n == 1050, n)
        st, _, out = f.request("GET", "/v1/training/enrollments", headers={})
        check("kb4 no token 401", st == 401, out)
        st, _, out = f.request("GET", "/v1/training/enrollments?page=0", headers=auth)
        check("kb4 page 0 rejected", st == 400, out)
    finally:
        f.stop()


def test_azure(certs, work):
    f = Fake(certs, work, "azure", "--scenario", "breaching", "--token-lifetime", "60")
    tenant, sub = "11111111-2222-3333-4444-555555555555", "00000000-1111-2222-3333-444444444444"
    form = {"client_id": "aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee",
            "client_secret": "test-secret-azure", "grant_type": "client_credentials",
            "scope": "https://management.azure.com/.default"}
    ctype = {"Content-Type": "application/x-www-form-urlencoded"}
    try:
        st, _, out = f.request("POST", "/%s/oauth2/v2.0/token" % tenant,
                               urllib.parse.urlencode(form), ctype)
        check("az token", st == 200 and out["expires_in"] == 60 and out["token_type"] == "Bearer",
              out)
        at = out["access_token"]
        bad = dict(form, client_secret="wrong")
        st, _, out = f.request("POST", "/%s/oauth2/v2.0/token" % tenant,
                               urllib.parse.urlencode(bad), ctype)
        check("az wrong secret", st == 401 and out["error"] == "invalid_client" and
              7000215 in out["error_codes"], out)
        st, _, out = f.request("POST", "/%s/oauth2/v2.0/token" % tenant,
                               urllib.parse.urlencode(dict(form, scope="https://x/read")), ctype)
        check("az bad scope", st == 400 and out["error"] == "invalid_scope", out)
        flt = "eventTimestamp ge '2026-11-23T00:00:00Z' and eventTimestamp le '2026-11-24T00:00:00Z'"
        path = ("/subscriptions/%s/providers/Microsoft.Insights/eventtypes/management/values?"
                "api-version=2015-04-01&$filter=%s" % (sub, urllib.parse.quote(flt)))
        evs, pages = [], 0
        while path:
            st, _, out = f.request("GET", path, headers={"Authorization": "Bearer " + at})
            check("az page 200", st == 200, out)
            evs += out["value"]
            pages += 1
            link = out.get("nextLink")
            if link:
                u = urllib.parse.urlsplit(link)
                check("az nextLink absolute to fake", u.scheme == "https" and
                      u.netloc == "127.0.0.1:%d" % f.port, link)
                path = u.path + "?" + u.query
            else:
                path = None
        check("az 3 pages / 300 events", pages == 3 and len(evs) == 300, (pages, len(evs)))
        ops = [e["operationName"]["value"] for e in evs if e["status"]["value"] == "Succeeded"]
        check("az one diag delete", ops.count("Microsoft.Insights/diagnosticSettings/delete") == 1)
        stats = f.control("GET", "/__fake/stats")[1]
        check("az token fetched once", stats["tokens_issued"] == 1 and stats["token"] == 3, stats)
        f.control("POST", "/__fake/tokens/expire")
        st, _, out = f.request("GET", "/subscriptions/%s/providers/microsoft.insights/eventtypes/"
                               "management/values?api-version=2015-04-01&$filter=%s"
                               % (sub, urllib.parse.quote(flt)),
                               headers={"Authorization": "Bearer " + at})
        check("az expired token", st == 401 and
              out["error"]["code"] == "ExpiredAuthenticationToken", out)
        # token-scoped fault
        f.faults({"type": "throttle", "scope": "token"})
        st, h, out = f.request("POST", "/%s/oauth2/v2.0/token" % tenant,
                               urllib.parse.urlencode(form), ctype)
        check("az token throttled", st == 429 and h.get("retry-after") == "1", (st, h))
    finally:
        f.stop()


def test_gcp(certs, work):
    f = Fake(certs, work, "gcp", "--scenario", "breaching", "--sa-public-key",
             os.path.join(certs, "sa.pub.pem"))
    try:
        with open(os.path.join(certs, "gcp-sa.json")) as fh:
            sa = json.load(fh)
        sa["token_uri"] = sa["token_uri"].replace(":PORT", ":%d" % f.port)
        key = rs256.load_private_key(sa["private_key"])
        now = int(time.time())

        def jwt(**over):
            claims = {"iss": sa["client_email"], "aud": sa["token_uri"], "iat": now,
                      "exp": now + 3600, "scope": "https://www.googleapis.com/auth/logging.read"}
            claims.update(over)
            return rs256.make_jwt(claims, key, sa["private_key_id"])

        def token(assertion):
            return f.request("POST", "/token", urllib.parse.urlencode({
                "grant_type": "urn:ietf:params:oauth:grant-type:jwt-bearer",
                "assertion": assertion}), {"Content-Type": "application/x-www-form-urlencoded"})

        st, _, out = token(jwt())
        check("gcp token", st == 200 and out["token_type"] == "Bearer", out)
        at = out["access_token"]
        for what, assertion in (("aud", jwt(aud="https://oauth2.googleapis.com/token")),
                                ("exp-iat", jwt(exp=now + 7200)),
                                ("iat", jwt(iat=now - 4000, exp=now - 400)),
                                ("iss", jwt(iss="other@x.iam.gserviceaccount.com")),
                                ("scope", jwt(scope="https://www.googleapis.com/auth/drive"))):
            st, _, out = token(assertion)
            check("gcp rejects bad " + what, st == 400 and out["error"] in
                  ("invalid_grant", "invalid_scope"), out)
        body = {"resourceNames": ["projects/ismsd-test-project"],
                "filter": 'logName="projects/ismsd-test-project/logs/cloudaudit.googleapis.com'
                          '%2Factivity" AND timestamp>="2026-11-23T00:00:00Z"',
                "pageSize": 1000}
        entries, pages, empty = [], 0, 0
        while True:
            st, _, out = f.request("POST", "/v2/entries:list", body,
                                   {"Authorization": "Bearer " + at,
                                    "Content-Type": "application/json"})
            check("gcp page 200", st == 200, out)
            pages += 1
            entries += out.get("entries", [])
            empty += "entries" not in out
            if not out.get("nextPageToken"):
                break
            body["pageToken"] = out["nextPageToken"]
        check("gcp 300 entries, one empty page", len(entries) == 300 and empty == 1 and
              pages == 4, (len(entries), empty, pages))
        check("gcp ascending", all(entries[i]["timestamp"] <= entries[i + 1]["timestamp"]
                                   for i in range(len(entries) - 1)))
        check("gcp one DeleteSink", sum(1 for e in entries if e["protoPayload"]["methodName"]
                                        .endswith("DeleteSink")) == 1)
        st, _, out = f.request("POST", "/v2/entries:list", {"resourceNames": ["projects/x"]},
                               {"Authorization": "Bearer nope"})
        check("gcp bad bearer 401", st == 401 and out["error"]["status"] == "UNAUTHENTICATED",
              out)
        f.faults({"type": "throttle"})
        st, _, out = f.request("POST", "/v2/entries:list", body, {"Authorization": "Bearer " + at})
        check("gcp 429 RESOURCE_EXHAUSTED", st == 429 and
              out["error"]["status"] == "RESOURCE_EXHAUSTED", out)
    finally:
        f.stop()


def test_tls(certs, work):
    f = Fake(certs, work, "fleet", cert="untrusted")
    try:
        try:
            f.request("GET", "/api/v1/fleet/hosts")
            check("untrusted CA rejected", False)
        except ssl.SSLCertVerificationError:
            check("untrusted CA rejected", True)
        time.sleep(0.1)
        check("tls_error logged", any(e["kind"] == "tls_error" for e in f.log_entries()))
    finally:
        f.stop()
    f = Fake(certs, work, "fleet", cert="wronghost")
    try:
        try:
            f.request("GET", "/api/v1/fleet/hosts")
            check("wrong host rejected", False)
        except ssl.SSLCertVerificationError:
            check("wrong host rejected", True)
    finally:
        f.stop()
    f = Fake(certs, work, "fleet")
    try:
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
        ctx.load_verify_locations(os.path.join(certs, "ca.pem"))
        ctx.maximum_version = ssl.TLSVersion.TLSv1_1
        try:
            ctx.minimum_version = ssl.TLSVersion.TLSv1
            with socket.create_connection(("127.0.0.1", f.port), 5) as s:
                ctx.wrap_socket(s, server_hostname="127.0.0.1")
            check("TLS 1.1 refused", False)
        except (ssl.SSLError, OSError):
            check("TLS 1.1 refused", True)
    finally:
        f.stop()


def main(argv):
    import signal
    # SIGTERM -> SystemExit, so the finally blocks stop the fakes we started.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    work = tempfile.mkdtemp(prefix="fakes-test-")
    try:
        if argv:
            certs = argv[0]
        else:
            certs = os.path.join(work, "certs")
            subprocess.run([os.path.join(HERE, "mkcerts.sh"), certs], check=True)
        for t in (test_ssm, test_cloudtrail, test_backup, test_fleet, test_knowbe4,
                  test_azure, test_gcp, test_tls):
            t0 = time.monotonic()
            try:
                t(certs, work)
            except Exception as e:  # report and continue
                import traceback
                traceback.print_exc()
                check("%s raised %r" % (t.__name__, e), False)
            print("%-16s %.2fs" % (t.__name__, time.monotonic() - t0))
    finally:
        shutil.rmtree(work, ignore_errors=True)
    print("test_fakes: %d checks, %d failed" % (CHECKS[0], len(FAILS)))
    return 1 if FAILS else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
