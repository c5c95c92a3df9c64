#!/usr/bin/env python3
"""Local HTTPS fakes of the vendor APIs ismsd collects evidence from.

One program, one vendor per process:
    fake.py --vendor {aws-ssm,aws-backup,aws-cloudtrail,fleet,knowbe4,azure,gcp}
            --cert server.pem --key server.key --port-file F [--log F]
            [--scenario healthy|breaching] [--page-size N] [--events N]
            [--now ISO8601] [auth flags] [fault flags]
    fake.py --vendor V --scenario S --summary     (print the expected KPI numbers)

Wire formats follow the project's research notes on the source APIs (request
and response shapes, timestamp encodings, pagination, error bodies, auth).
Auth is checked for real: SigV4 (sigv4.py), bearer tokens, the Entra
client-credentials grant and the Google JWT-bearer grant (rs256.py).
See README.md for flags, the control endpoint, the request log and the
scenario numbers.
"""

import argparse
import base64
import json
import math
import os
import re
import secrets
import sys
import threading
import time
import urllib.parse

sys.dont_write_bytecode = True  # keep the source tree clean
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import fakelib  # noqa: E402
import rs256  # noqa: E402
import scenarios as sc  # noqa: E402
import sigv4  # noqa: E402
from fakelib import (TokenError, VendorApp, det_uuid, fingerprint,  # noqa: E402
                     iso_z, json_response, parse_iso8601, wall_iso)

VENDORS = ("aws-ssm", "aws-backup", "aws-cloudtrail", "fleet", "knowbe4", "azure", "gcp")

DEFAULTS = {  # vendor -> (page size, events)
    "aws-ssm": (10, None), "aws-backup": (25, None), "aws-cloudtrail": (50, 200),
    "fleet": (100, None), "knowbe4": (100, None), "azure": (100, 300), "gcp": (100, 300),
}

AMZ_JSON = "application/x-amz-json-1.1"


class ApiError(Exception):
    """Raised inside handlers; turned into the vendor's error shape."""

    def __init__(self, status, code, message, headers=None):
        Exception.__init__(self, message)
        self.status, self.code, self.message = status, code, message
        self.headers = headers or []


class BaseApp(VendorApp):
    """Common config handling, list paging, page tokens."""

    def __init__(self, args):
        VendorApp.__init__(self, args)
        self.name = args.vendor
        self.lock = threading.Lock()
        self.cfg = make_config(args, args.scenario, args.now_epoch, args.events)
        self.check_cfg(self.cfg)
        self.page_size = args.page_size
        self.tokens = fakelib.PageTokens("ismsd-fake-page-token:" + args.vendor)
        self._cache = {}

    stream_class = None

    def check_cfg(self, cfg):
        """Raise ValueError early (e.g. too few events for the scenario)."""
        if self.stream_class:
            self.stream_class(cfg)

    def cached(self, what, fn):
        key = (what, self.cfg.key())
        with self.lock:
            if key not in self._cache:
                if len(self._cache) > 8:
                    self._cache.clear()
                self._cache[key] = fn(self.cfg)
            return self._cache[key]

    def reconfigure(self, data):
        allowed = {"scenario", "now", "events", "page_size", "token_lifetime"}
        unknown = set(data) - allowed
        if unknown:
            raise ValueError("unknown config keys: %s" % ", ".join(sorted(unknown)))
        scenario = data.get("scenario", self.cfg.scenario)
        now = parse_iso8601(data["now"]) if "now" in data else self.cfg.now
        events = int(data.get("events", self.cfg.events))
        cfg = make_config(self.args, scenario, now, events)
        self.check_cfg(cfg)
        with self.lock:
            self.cfg = cfg
            if "page_size" in data:
                if int(data["page_size"]) < 1:
                    raise ValueError("page_size must be >= 1")
                self.page_size = int(data["page_size"])
            if "token_lifetime" in data:
                self.args.token_lifetime = int(data["token_lifetime"])
        return self.describe()

    def describe(self):
        return {"vendor": self.name, "scenario": self.cfg.scenario,
                "now": iso_z(self.cfg.now), "events": self.cfg.events,
                "page_size": self.page_size, "token_lifetime": self.args.token_lifetime}

    def fp(self, params):
        return fingerprint([params, self.cfg.key()])

    def loop(self):
        return self.server.faults.take_loop("api")

    def page_list(self, items, token, params, limit, bad_token):
        """Offset paging over a list. Returns (page, next_token or None)."""
        fp = self.fp(params)
        start = 0
        if token is not None:
            try:
                start = self.tokens.parse(token, fp)[0]
            except TokenError:
                raise bad_token
            if start > len(items):
                raise bad_token
        page = items[start:start + limit]
        if self.loop():
            return page, self.tokens.make(start, fp)
        nxt = start + limit
        return page, (self.tokens.make(nxt, fp) if nxt < len(items) else None)


def make_config(args, scenario, now, events):
    return sc.Config(scenario, now, events if events is not None else 0,
                     region=args.region, project=args.project,
                     subscription=args.subscription, tenant=args.tenant)


# ==========================================================================
# AWS (SigV4; JSON 1.1 for SSM and CloudTrail, REST-JSON for Backup)

class AwsApp(BaseApp):
    service = None
    protocol = "json"
    target_prefix = None
    json_type = AMZ_JSON

    def __init__(self, args):
        BaseApp.__init__(self, args)
        self.credentials = {args.access_key: args.secret_key}

    def aws_error(self, status, code, message, headers=None):
        hdrs = [("x-amzn-RequestId", det_uuid("reqid", time.time_ns()))] + list(headers or [])
        if self.protocol == "json":
            return json_response(status, {"__type": code, "message": message}, AMZ_JSON, hdrs)
        hdrs.append(("x-amzn-ErrorType", code))
        return json_response(status, {"__type": code, "message": message, "Message": message},
                             "application/json", hdrs)

    def ok(self, obj):
        return json_response(200, obj, self.json_type,
                             [("x-amzn-RequestId", det_uuid("reqid", time.time_ns()))])

    def authenticate(self, req):
        try:
            a = sigv4.verify(req.method, req.path, req.raw_query, req.header_list, req.body,
                             self.credentials, self.service,
                             max_skew=self.args.max_skew,
                             session_token=self.args.session_token)
        except sigv4.VerifyError as e:
            req.log_extra.update({"auth_ok": False, "auth_error": e.code})
            status = e.status
            if e.code == "MissingAuthenticationTokenException" and self.protocol != "json":
                status = 403
            return self.aws_error(status, e.code, e.message)
        if a["region"] != self.args.region:
            req.log_extra.update({"auth_ok": False, "auth_error": "InvalidSignatureException"})
            return self.aws_error(403, "InvalidSignatureException",
                                  "Credential should be scoped to a valid region. ")
        req.log_extra["auth_ok"] = True
        req.log_extra["aws_access_key"] = a["access_key"]
        return None

    def throttle_response(self, req, fault):
        if self.protocol == "json":
            r = self.aws_error(400, "ThrottlingException", "Rate exceeded")
        else:
            r = self.aws_error(429, "ThrottlingException", "Rate exceeded")
        self.add_retry_after(r, fault)
        return r

    def error_response(self, req, code):
        if code == 503:
            return self.aws_error(503, "ServiceUnavailableException", "Service Unavailable")
        return self.aws_error(code, "InternalFailure",
                              "The request processing has failed because of an unknown "
                              "error, exception or failure.")

    # -- JSON 1.1 dispatch
    def classify(self, req):
        if self.protocol == "json":
            return "api" if req.path == "/" and req.method == "POST" else None
        return None

    def handle(self, req):
        if self.protocol != "json":
            raise NotImplementedError
        if req.path != "/" or req.method != "POST":
            return self.aws_error(404, "UnknownOperationException", "Unknown operation")
        denied = self.authenticate(req)
        if denied:
            return denied
        ctype = (req.header("Content-Type") or "").split(";")[0].strip().lower()
        target = req.header("X-Amz-Target") or ""
        op = target[len(self.target_prefix) + 1:] \
            if target.startswith(self.target_prefix + ".") else None
        req.log_extra["op"] = op or target
        if ctype != AMZ_JSON:
            return self.aws_error(400, "SerializationException",
                                  "Content-Type must be %s (got %r)" % (AMZ_JSON, ctype))
        handler = getattr(self, "op_" + op, None) if op else None
        if handler is None:
            return self.aws_error(400, "UnknownOperationException",
                                  "Unknown operation %r" % target)
        try:
            body = req.json() if req.body else {}
        except ValueError:
            return self.aws_error(400, "SerializationException", "Malformed JSON body")
        if not isinstance(body, dict):
            return self.aws_error(400, "SerializationException", "Body must be a JSON object")
        try:
            return handler(req, body)
        except ApiError as e:
            return self.aws_error(e.status, e.code, e.message)

    # -- validation helpers
    @staticmethod
    def int_param(body, name, lo, hi, wire_name=None, code="ValidationException"):
        v = body.get(name)
        if v is None:
            return None
        if not isinstance(v, int) or isinstance(v, bool):
            raise ApiError(400, "SerializationException",
                           "%s must be an integer" % name)
        if v < lo or v > hi:
            wn = wire_name or (name[0].lower() + name[1:])
            raise ApiError(400, code,
                           "1 validation error detected: Value '%d' at '%s' failed to satisfy "
                           "constraint: Member must have value %s %d"
                           % (v, wn, "less than or equal to" if v > hi
                              else "greater than or equal to", hi if v > hi else lo))
        return v

    @staticmethod
    def str_param(body, name):
        v = body.get(name)
        if v is not None and not isinstance(v, str):
            raise ApiError(400, "SerializationException", "%s must be a string" % name)
        return v


class SsmApp(AwsApp):
    service = "ssm"
    target_prefix = "AmazonSSM"

    def oversize_parts(self, req):
        item = json.dumps(sc.ssm_patch_states(self.cfg)[0], separators=(",", ":")).encode()
        return b'{"InstancePatchStates":[', item, b"]}"

    def op_DescribeInstanceInformation(self, req, body):
        limit = self.int_param(body, "MaxResults", 5, 50) or 10
        limit = min(limit, self.page_size)
        token = self.str_param(body, "NextToken")
        items = self.cached("info", sc.ssm_instance_info)
        conds = []
        for f in body.get("Filters") or []:
            key, vals = f.get("Key"), f.get("Values") or []
            field = {"PingStatus": "PingStatus", "PlatformTypes": "PlatformType",
                     "ResourceType": "ResourceType", "InstanceIds": "InstanceId",
                     "AgentVersion": "AgentVersion",
                     "AssociationStatus": "AssociationStatus"}.get(key)
            if field is None:
                raise ApiError(400, "InvalidFilterKey", "The filter key %r is not valid." % key)
            conds.append((field, set(vals)))
        for f in body.get("InstanceInformationFilterList") or []:
            key, vals = f.get("key"), f.get("valueSet") or []
            field = {"PingStatus": "PingStatus", "PlatformTypes": "PlatformType",
                     "ResourceType": "ResourceType", "InstanceIds": "InstanceId",
                     "AgentVersion": "AgentVersion",
                     "AssociationStatus": "AssociationStatus"}.get(key)
            if field is None:
                raise ApiError(400, "InvalidInstanceInformationFilterValue",
                               "The filter key %r is not valid." % key)
            conds.append((field, set(vals)))
        items = [i for i in items if all(i[f] in v for f, v in conds)]
        page, nxt = self.page_list(items, token, [body.get("Filters"),
                                                  body.get("InstanceInformationFilterList")],
                                   limit, ApiError(400, "InvalidNextToken",
                                                   "The specified token is not valid."))
        out = {"InstanceInformationList": page}
        if nxt:
            out["NextToken"] = nxt
        req.log_extra.update({"items": len(page), "has_next": bool(nxt)})
        return self.ok(out)

    _ID_RE = re.compile(r"^(i-(\w{8}|\w{17})|mi-\w{17})$")

    def op_DescribeInstancePatches(self, req, body):
        iid = body.get("InstanceId")
        if not isinstance(iid, str) or not self._ID_RE.match(iid):
            raise ApiError(400, "ValidationException",
                           "1 validation error detected: Value at 'instanceId' failed to satisfy "
                           "constraint: Member must satisfy regular expression pattern")
        ids = {s["InstanceId"]: s for s in self.cached("states", sc.ssm_patch_states)}
        if iid not in ids:
            raise ApiError(400, "InvalidInstanceId", "Instance %s is not managed." % iid)
        n = int(iid[-5:])
        limit = self.int_param(body, "MaxResults", 10, 100) or 10
        limit = min(limit, self.page_size)
        token = self.str_param(body, "NextToken")
        items = sc.ssm_instance_patches(self.cfg, n)
        page, nxt = self.page_list(items, token, [iid, body.get("Filters")], limit,
                                   ApiError(400, "InvalidNextToken",
                                            "The specified token is not valid."))
        out = {"Patches": page}
        if nxt:
            out["NextToken"] = nxt
        req.log_extra.update({"items": len(page), "has_next": bool(nxt)})
        return self.ok(out)

    def op_DescribeInstancePatchStates(self, req, body):
        ids = body.get("InstanceIds")
        if not isinstance(ids, list) or not ids:
            raise ApiError(400, "ValidationException",
                           "1 validation error detected: Value null at 'instanceIds' failed "
                           "to satisfy constraint: Member must not be null")
        if len(ids) > 50:
            raise ApiError(400, "ValidationException",
                           "1 validation error detected: Value at 'instanceIds' failed to "
                           "satisfy constraint: Member must have length less than or equal to 50")
        for i in ids:
            if not isinstance(i, str) or not self._ID_RE.match(i):
                raise ApiError(400, "ValidationException",
                               "1 validation error detected: Value '%s' at 'instanceIds' failed "
                               "to satisfy constraint: Member must satisfy regular expression "
                               "pattern: (^i-(\\w{8}|\\w{17})$)|(^mi-\\w{17}$)" % i)
        limit = self.int_param(body, "MaxResults", 10, 100) or 10
        limit = min(limit, self.page_size)
        token = self.str_param(body, "NextToken")
        states = {s["InstanceId"]: s for s in self.cached("states", sc.ssm_patch_states)}
        seen, items = set(), []
        for i in ids:
            if i in states and i not in seen:
                seen.add(i)
                items.append(states[i])
        page, nxt = self.page_list(items, token, ids, limit,
                                   ApiError(400, "InvalidNextToken",
                                            "The specified token is not valid."))
        out = {"InstancePatchStates": page}
        if nxt:
            out["NextToken"] = nxt
        req.log_extra.update({"items": len(page), "has_next": bool(nxt)})
        return self.ok(out)


class CloudTrailApp(AwsApp):
    stream_class = sc.CloudTrailStream
    service = "cloudtrail"
    target_prefix = "com.amazonaws.cloudtrail.v20131101.CloudTrail_20131101"
    ATTRS = ("EventId", "EventName", "ReadOnly", "Username", "ResourceType", "ResourceName",
             "EventSource", "AccessKeyId")

    def stream(self):
        return self.cached("stream", sc.CloudTrailStream)

    def oversize_parts(self, req):
        item = json.dumps(self.stream().event(0), separators=(",", ":")).encode()
        return b'{"Events":[', item, b"]}"

    @staticmethod
    def _epoch(body, name):
        v = body.get(name)
        if v is None:
            return None
        if isinstance(v, bool) or not isinstance(v, (int, float)):
            raise ApiError(400, "SerializationException",
                           "%s must be a number (epoch seconds), got %r" % (name, v))
        return float(v)

    def op_LookupEvents(self, req, body):
        attrs = body.get("LookupAttributes") or []
        if not isinstance(attrs, list):
            raise ApiError(400, "SerializationException", "LookupAttributes must be a list")
        if len(attrs) > 1:
            raise ApiError(400, "InvalidLookupAttributesException",
                           "You cannot specify more than one lookup attribute.")
        attr = None
        if attrs:
            a = attrs[0]
            if not isinstance(a, dict) or a.get("AttributeKey") not in self.ATTRS or \
                    not isinstance(a.get("AttributeValue"), str):
                raise ApiError(400, "InvalidLookupAttributesException",
                               "Invalid lookup attribute: %r" % (a,))
            attr = (a["AttributeKey"], a["AttributeValue"])
        limit = self.int_param(body, "MaxResults", 1, 50,
                               code="InvalidMaxResultsException") or 50
        limit = min(limit, self.page_size)
        token = self.str_param(body, "NextToken")
        cfg = self.cfg
        start = self._epoch(body, "StartTime")
        end = self._epoch(body, "EndTime")
        start = cfg.now - 90 * sc.DAY if start is None else start
        end = cfg.now if end is None else end
        if start > end:
            raise ApiError(400, "InvalidTimeRangeException",
                           "Start time must be before or equal to end time.")
        category = body.get("EventCategory")
        if category not in (None, "insight"):
            raise ApiError(400, "InvalidEventCategoryException",
                           "EventCategory must be 'insight'.")
        s = self.stream()
        lo, hi = s.index_range(math.ceil(start), math.floor(end))
        if category == "insight":
            lo = hi
        fp = self.fp([body.get("StartTime"), body.get("EndTime"), attrs, category])
        cursor = hi - 1
        if token is not None:
            try:
                cursor = self.tokens.parse(token, fp)[0] - 1
            except TokenError:
                raise ApiError(400, "InvalidNextTokenException", "Invalid NextToken")
        first = cursor
        events = []
        while cursor >= lo and len(events) < limit:
            i = cursor
            cursor -= 1
            if attr:
                if attr[0] == "EventName":
                    if s.name_of_kind(s.kind_of(i)) != attr[1]:
                        continue
                    ev = s.event(i)
                else:
                    ev = s.event(i)
                    if attr[0] in ("ResourceType", "ResourceName"):
                        if not any(r[attr[0]] == attr[1] for r in ev["Resources"]):
                            continue
                    elif ev.get(attr[0]) != attr[1]:
                        continue
            else:
                ev = s.event(i)
            events.append(ev)
        out = {"Events": events}
        if self.loop():
            out["NextToken"] = self.tokens.make(first + 1, fp)
        elif cursor >= lo:
            out["NextToken"] = self.tokens.make(cursor + 1, fp)
        req.log_extra.update({"items": len(events), "has_next": "NextToken" in out})
        return self.ok(out)

    def op_GetTrailStatus(self, req, body):
        name = body.get("Name")
        trail = self.stream().trails()[0]
        if name not in (trail["Name"], trail["TrailARN"]):
            raise ApiError(400, "TrailNotFoundException",
                           "Unknown trail: %s for the user: %s" % (name, sc.ACCOUNT))
        return self.ok(self.stream().trail_status())

    def op_DescribeTrails(self, req, body):
        return self.ok({"trailList": self.stream().trails()})


class BackupApp(AwsApp):
    service = "backup"
    protocol = "rest-json"
    json_type = "application/json"
    STATES = ("CREATED", "PENDING", "RUNNING", "ABORTING", "ABORTED", "COMPLETED", "FAILED",
              "EXPIRED", "PARTIAL")

    def classify(self, req):
        return "api" if req.path in ("/backup-jobs/", "/backup-jobs") else None

    def oversize_parts(self, req):
        item = json.dumps(sc.backup_jobs(self.cfg)[0], separators=(",", ":")).encode()
        return b'{"BackupJobs":[', item, b"]}"

    def handle(self, req):
        if self.classify(req) is None:
            return self.aws_error(404, "UnknownOperationException",
                                  "No operation for %s %s" % (req.method, req.path))
        if req.method != "GET":
            return self.aws_error(405, "MethodNotAllowedException", "Method not allowed")
        denied = self.authenticate(req)
        if denied:
            return denied
        req.log_extra["op"] = "ListBackupJobs"
        try:
            return self.list_backup_jobs(req)
        except ApiError as e:
            return self.aws_error(e.status, e.code, e.message)

    @staticmethod
    def _bad(msg):
        return ApiError(400, "InvalidParameterValueException", msg)

    def _time(self, req, name):
        v = req.q(name)
        if v is None:
            return None
        try:
            return parse_iso8601(v)
        except ValueError:
            raise self._bad("Invalid value for %s: %r (expected ISO 8601)" % (name, v))

    def list_backup_jobs(self, req):
        mr = req.q("maxResults")
        limit = self.page_size
        if mr is not None:
            if not re.match(r"^\d+$", mr) or not 1 <= int(mr) <= 1000:
                raise ApiError(400, "ValidationException",
                               "1 validation error detected: Value '%s' at 'maxResults' failed "
                               "to satisfy constraint: Member must have value between 1 and 1000"
                               % mr)
            limit = min(int(mr), self.page_size)
        state = req.q("state")
        if state is not None and state not in self.STATES:
            raise self._bad("Invalid state: %r" % state)
        conds = {"State": state, "ResourceArn": req.q("resourceArn"),
                 "ResourceType": req.q("resourceType"),
                 "BackupVaultName": req.q("backupVaultName"), "AccountId": req.q("accountId")}
        ca, cb = self._time(req, "createdAfter"), self._time(req, "createdBefore")
        pa, pb = self._time(req, "completeAfter"), self._time(req, "completeBefore")
        jobs = []
        for j in self.cached("jobs", sc.backup_jobs):
            if any(v is not None and j.get(k) != v for k, v in conds.items()):
                continue
            if ca is not None and j["CreationDate"] < ca:
                continue
            if cb is not None and j["CreationDate"] > cb:
                continue
            if pa is not None and (j.get("CompletionDate") is None or j["CompletionDate"] < pa):
                continue
            if pb is not None and (j.get("CompletionDate") is None or j["CompletionDate"] > pb):
                continue
            jobs.append(j)
        params = sorted((k, v) for k, v in req.query.items() if k not in ("nextToken", "maxResults"))
        page, nxt = self.page_list(jobs, req.q("nextToken"), params, limit,
                                   self._bad("The next token is not valid."))
        out = {"BackupJobs": page}
        if nxt:
            out["NextToken"] = nxt
        req.log_extra.update({"items": len(page), "has_next": bool(nxt)})
        return self.ok(out)


# ==========================================================================
# Fleet and KnowBe4 (static bearer tokens)

class BearerApp(BaseApp):
    default_token = None

    def check_bearer(self, req):
        tok = req.bearer()
        req.log_extra["auth_ok"] = tok is not None and secrets.compare_digest(
            tok, self.args.token)
        return tok

    def int_q(self, req, name, default, lo, hi=None):
        v = req.q(name)
        if v is None or v == "":
            return default
        if not re.match(r"^-?\d+$", v):
            raise ApiError(400, "bad_request", "%s must be an integer" % name)
        v = int(v)
        if v < lo or (hi is not None and v > hi):
            raise ApiError(400, "bad_request", "%s out of range" % name)
        return v


class FleetApp(BearerApp):
    def classify(self, req):
        return "api" if req.path.startswith("/api/") else None

    def fleet_error(self, status, message, reason=None, headers=None):
        return json_response(status, {"message": message, "errors": [
            {"name": "base", "reason": reason or message}],
            "uuid": det_uuid("fleet-err", time.time_ns())}, headers=headers)

    def throttle_response(self, req, fault):
        secs = fault.get("retry_after_seconds")
        secs = 1 if secs is None else secs
        r = self.fleet_error(429, "limit exceeded, retry after: %ds" % secs)
        self.add_retry_after(r, fault, always=True)
        return r

    def error_response(self, req, code):
        return self.fleet_error(code, "Service Unavailable" if code == 503
                                else "Internal Server Error")

    def oversize_parts(self, req):
        h = dict(sc.fleet_hosts(self.cfg)[0])
        h.pop("_software")
        return b'{"hosts":[', json.dumps(h, separators=(",", ":")).encode(), b"]}"

    def handle(self, req):
        tok = self.check_bearer(req)
        if tok is None:
            return self.fleet_error(401, "Authentication required")
        if not req.log_extra["auth_ok"]:
            return self.fleet_error(401, "Authentication failed")
        if req.method != "GET":
            return self.fleet_error(405, "Method not allowed")
        try:
            if req.path in ("/api/v1/fleet/hosts", "/api/latest/fleet/hosts"):
                return self.hosts(req)
            if req.path in ("/api/v1/fleet/hosts/count", "/api/latest/fleet/hosts/count"):
                return json_response(200, {"count": len(self.filtered_hosts(req))})
            if req.path in ("/api/v1/fleet/vulnerabilities", "/api/latest/fleet/vulnerabilities"):
                return self.vulnerabilities(req)
        except ApiError as e:
            return self.fleet_error(e.status, "Bad request", e.message)
        return self.fleet_error(404, "Resource Not Found")

    def filtered_hosts(self, req):
        hosts = self.cached("hosts", sc.fleet_hosts)
        status = req.q("status")
        if status is not None and status not in ("online", "offline", "new", "mia", "missing"):
            raise ApiError(400, "bad_request", "invalid status %r" % status)
        team = req.q("team_id")
        query = (req.q("query") or "").lower()
        out = []
        for h in hosts:
            if status == "missing":
                if h["status"] not in ("mia",):
                    continue
            elif status is not None and h["status"] != status:
                continue
            if team is not None and str(h["team_id"]) != team:
                continue
            if query and query not in h["hostname"]:
                continue
            out.append(h)
        key = req.q("order_key") or "id"
        if key not in ("id", "hostname", "seen_time", "display_name"):
            raise ApiError(400, "bad_request", "invalid order_key %r" % key)
        out = sorted(out, key=lambda h: h[key],
                     reverse=(req.q("order_direction") or "asc") == "desc")
        return out

    def hosts(self, req):
        page = self.int_q(req, "page", 0, 0)
        per_page = self.int_q(req, "per_page", self.page_size, 1)
        hosts = self.filtered_hosts(req)
        if self.loop():
            page = 0
        chunk = hosts[page * per_page:(page + 1) * per_page]
        with_sw = (req.q("populate_software") or "").lower() in ("true", "1")
        out = []
        for h in chunk:
            h = dict(h)
            sw = h.pop("_software")
            if with_sw:
                h["software"] = sw
            out.append(h)
        req.log_extra.update({"items": len(out), "page": page})
        return json_response(200, {"hosts": out})

    def vulnerabilities(self, req):
        page = self.int_q(req, "page", 0, 0)
        per_page = self.int_q(req, "per_page", self.page_size, 1)
        vulns = sc.fleet_vulnerabilities(self.cfg, self.cached("hosts", sc.fleet_hosts))
        if (req.q("exploit") or "").lower() in ("true", "1"):
            vulns = [v for v in vulns if v["cisa_known_exploit"]]
        looping = self.loop()
        if looping:
            page = 0
        chunk = vulns[page * per_page:(page + 1) * per_page]
        meta = {"has_next_results": looping or (page + 1) * per_page < len(vulns),
                "has_previous_results": page > 0}
        req.log_extra.update({"items": len(chunk), "page": page,
                              "has_next": meta["has_next_results"]})
        return json_response(200, {"vulnerabilities": chunk, "count": len(vulns),
                                   "counts_updated_at": iso_z(self.cfg.now - 3600),
                                   "meta": meta})


class KnowBe4App(BearerApp):
    json_type = "application/json; charset=utf-8"
    MAX_PER_PAGE = 500

    def classify(self, req):
        return "api" if req.path.startswith("/v1/") else None

    def kb_error(self, status, message, headers=None):
        return json_response(status, {"message": message}, self.json_type, headers)

    def throttle_response(self, req, fault):
        r = self.kb_error(429, "API rate limit exceeded")
        self.add_retry_after(r, fault, always=True)
        return r

    def error_response(self, req, code):
        return self.kb_error(code, "Service Unavailable" if code == 503 else "Internal Server Error")

    def oversize_parts(self, req):
        e = sc.kb4_enrollments(self.cfg)[0]
        return b"[", json.dumps(e, separators=(",", ":")).encode(), b"]"

    def handle(self, req):
        tok = self.check_bearer(req)
        if tok is None or not req.log_extra["auth_ok"]:
            return self.kb_error(401, "Unauthorized")
        if req.method != "GET":
            return self.kb_error(405, "Method Not Allowed")
        if req.path.rstrip("/") != "/v1/training/enrollments":
            return self.kb_error(404, "Not Found")
        try:
            return self.enrollments(req)
        except ApiError as e:
            return self.kb_error(e.status, e.message)

    def enrollments(self, req):
        per_page = min(self.int_q(req, "per_page", self.page_size, 1), self.MAX_PER_PAGE)
        items = self.cached("enrollments", sc.kb4_enrollments)
        for name, fn in (("campaign_id", lambda e: e["campaign_id"]),
                         ("user_id", lambda e: e["user"]["id"])):
            v = req.q(name)
            if v is not None:
                items = [e for e in items if str(fn(e)) == v]
        inc_camp = (req.q("include_campaign_id") or "") == "true"
        inc_emp = (req.q("include_employee_number") or "") == "true"

        def shape(e):
            e = dict(e)
            if not inc_camp:
                e.pop("campaign_id")
            if not inc_emp:
                e["user"] = {k: v for k, v in e["user"].items() if k != "employee_number"}
            return e

        cursor = req.q("cursor")
        if cursor is not None:
            params = [req.q("campaign_id"), req.q("user_id")]
            token = None if cursor == "true" else cursor
            page, nxt = self.page_list(items, token, params, per_page,
                                       ApiError(400, "bad_request", "Invalid cursor"))
            req.log_extra.update({"items": len(page), "has_next": bool(nxt)})
            return json_response(200, {"data": [shape(e) for e in page],
                                       "_metadata": {"next_cursor": nxt}}, self.json_type)
        page_no = self.int_q(req, "page", 1, 1)
        if self.loop():
            page_no = 1
        chunk = items[(page_no - 1) * per_page:page_no * per_page]
        req.log_extra.update({"items": len(chunk), "page": page_no})
        return json_response(200, [shape(e) for e in chunk], self.json_type)


# ==========================================================================
# OAuth2 token bookkeeping (Azure, GCP)

class TokenStore:
    def __init__(self, prefix):
        self.prefix = prefix
        self.lock = threading.Lock()
        self.tokens = {}
        self.issued = 0

    def issue(self, lifetime, **info):
        with self.lock:
            self.issued += 1
            tok = "%s%d.%s" % (self.prefix, self.issued, secrets.token_urlsafe(24))
            self.tokens[tok] = dict(info, expires=time.time() + lifetime)
            return tok

    def check(self, tok):
        """-> (info, None) or (None, 'missing'|'invalid'|'expired')."""
        if tok is None:
            return None, "missing"
        with self.lock:
            info = self.tokens.get(tok)
        if info is None:
            return None, "invalid"
        if time.time() >= info["expires"]:
            return info, "expired"
        return info, None

    def expire_all(self):
        with self.lock:
            for info in self.tokens.values():
                info["expires"] = 0
            return len(self.tokens)


# ==========================================================================
# Azure: Entra client credentials + Activity Log

class AzureApp(BaseApp):
    stream_class = sc.AzureStream
    json_type = "application/json; charset=utf-8"
    ARM_AUDIENCES = ("https://management.azure.com/.default",
                     "https://management.core.windows.net/.default")
    _TOKEN_RE = re.compile(r"^/([^/]+)/oauth2/v2\.0/token$")
    _API_RE = re.compile(r"^/subscriptions/([^/]+)/providers/microsoft\.insights/eventtypes/"
                         r"management/values/?$", re.I)
    # Microsoft 365 Management Activity API (same Entra tenant): the content
    # listing, which pages with the NextPageUri response header.
    _O365_RE = re.compile(r"^/api/v1\.0/([^/]+)/activity/feed/subscriptions/content$")
    O365_AUDIENCE = "https://manage.office.com/.default"
    O365_TYPES = ("Audit.AzureActiveDirectory", "Audit.Exchange", "Audit.SharePoint", "Audit.General",
                  "DLP.All")
    O365_BLOBS = 250  # content blobs per content type in any 24 h window
    SELECTABLE = ("authorization", "claims", "correlationId", "description", "eventDataId",
                  "eventName", "eventTimestamp", "httpRequest", "level", "operationId",
                  "operationName", "properties", "resourceGroupName", "resourceProviderName",
                  "resourceId", "status", "submissionTimestamp", "subStatus", "subscriptionId")

    def __init__(self, args):
        BaseApp.__init__(self, args)
        self.store = TokenStore("eyJ0eXAiOiJKV1QiLCJhbGciOiJub25lIn0.fake-entra-")

    def stream(self):
        return self.cached("stream", sc.AzureStream)

    def classify(self, req):
        if self._TOKEN_RE.match(req.path):
            return "token"
        if req.path.lower().startswith("/subscriptions/") or req.path.startswith("/api/v1.0/"):
            return "api"
        return None

    def stats(self):
        return {"tokens_issued": self.store.issued}

    def expire_tokens(self):
        return self.store.expire_all()

    # -- error shapes
    def arm_error(self, status, code, message, headers=None):
        return json_response(status, {"error": {"code": code, "message": message}},
                             self.json_type, headers)

    def aad_error(self, status, error, code, description):
        now = time.time()
        trace, corr = det_uuid("trace", time.time_ns()), det_uuid("corr", time.time_ns())
        ts = time.strftime("%Y-%m-%d %H:%M:%SZ", time.gmtime(now))
        return json_response(status, {
            "error": error,
            "error_description": "AADSTS%d: %s Trace ID: %s Correlation ID: %s Timestamp: %s"
                                 % (code, description, trace, corr, ts),
            "error_codes": [code], "timestamp": ts, "trace_id": trace,
            "correlation_id": corr,
            "error_uri": "https://login.microsoftonline.com/error?code=%d" % code},
            self.json_type, [("Cache-Control", "no-store, no-cache"), ("Pragma", "no-cache")])

    def throttle_response(self, req, fault):
        if req.kind == "token":
            r = self.aad_error(429, "temporarily_unavailable", 50196,
                               "The server terminated an operation because it encountered "
                               "a client request loop (fake throttle).")
        else:
            r = self.arm_error(429, "TooManyRequests",
                               "The request is being throttled as the limit has been reached "
                               "for operation type - Read.",
                               [("x-ms-ratelimit-remaining-subscription-reads", "0")])
        self.add_retry_after(r, fault, always=True)
        return r

    def error_response(self, req, code):
        if req.kind == "token":
            return self.aad_error(code, "temporarily_unavailable", 90033,
                                  "A transient error has occurred. Please try again.")
        return self.arm_error(code, "ServiceUnavailable" if code == 503 else "InternalServerError",
                              "The server is currently unable to handle the request.")

    def oversize_parts(self, req):
        if req.kind == "token":
            return (b'{"token_type":"Bearer","padding":[', b'"' + b"x" * 64 + b'"',
                    b'],"expires_in":3599,"access_token":"oversize"}')
        item = json.dumps(self.stream().event(0), separators=(",", ":")).encode()
        return b'{"value":[', item, b"]}"

    def handle(self, req):
        m = self._TOKEN_RE.match(req.path)
        if m:
            return self.token(req, m.group(1))
        m = self._O365_RE.match(req.path)
        if m:
            return self.o365_content(req, m.group(1))
        m = self._API_RE.match(req.path)
        if not m:
            return self.arm_error(404, "InvalidResourceType" if req.path.lower().startswith(
                "/subscriptions/") else "NotFound",
                "The resource type could not be found (fake supports only "
                "microsoft.insights/eventtypes/management/values).")
        return self.activity_log(req, m.group(1))

    # -- token endpoint
    def token(self, req, tenant):
        req.log_extra["op"] = "token"
        if req.method != "POST":
            return self.aad_error(405, "invalid_request", 900561,
                                  "The endpoint only accepts POST requests.")
        if tenant != self.args.tenant:
            req.log_extra["auth_ok"] = False
            return self.aad_error(400, "invalid_request", 90002,
                                  "Tenant '%s' not found. Check to make sure you have the "
                                  "correct tenant ID and are signing into the correct cloud."
                                  % tenant)
        form = {k: v[0] for k, v in req.form().items()}
        basic = req.header("Authorization") or ""
        if basic[:6].lower() == "basic ":
            try:
                cid, _, csec = base64.b64decode(basic[6:].strip()).decode().partition(":")
                form.setdefault("client_id", urllib.parse.unquote_plus(cid))
                form.setdefault("client_secret", urllib.parse.unquote_plus(csec))
            except ValueError:
                pass
        gt = form.get("grant_type")
        if gt is None:
            return self.aad_error(400, "invalid_request", 900144,
                                  "The request body must contain the following parameter: "
                                  "'grant_type'.")
        if gt != "client_credentials":
            return self.aad_error(400, "unsupported_grant_type", 70003,
                                  "The app requested an unsupported grant type '%s'." % gt)
        cid = form.get("client_id")
        if not cid:
            return self.aad_error(400, "invalid_request", 900144,
                                  "The request body must contain the following parameter: "
                                  "'client_id'.")
        if cid != self.args.client_id:
            req.log_extra["auth_ok"] = False
            return self.aad_error(400, "unauthorized_client", 700016,
                                  "Application with identifier '%s' was not found in the "
                                  "directory '%s'." % (cid, tenant))
        scope = form.get("scope")
        if not scope:
            return self.aad_error(400, "invalid_request", 900144,
                                  "The request body must contain the following parameter: "
                                  "'scope'.")
        if not scope.endswith("/.default") or " " in scope.strip():
            return self.aad_error(400, "invalid_scope", 1002012,
                                  "The provided value for scope %s is not valid. Client "
                                  "credential flows must have a scope value with /.default "
                                  "suffixed to the resource identifier (application ID URI)."
                                  % scope)
        secret = form.get("client_secret")
        if not secret:
            req.log_extra["auth_ok"] = False
            return self.aad_error(401, "invalid_client", 7000218,
                                  "The request body must contain the following parameter: "
                                  "'client_assertion' or 'client_secret'.")
        if not secrets.compare_digest(secret, self.args.client_secret):
            req.log_extra["auth_ok"] = False
            return self.aad_error(401, "invalid_client", 7000215,
                                  "Invalid client secret provided. Ensure the secret being "
                                  "sent in the request is the client secret value, not the "
                                  "client secret ID, for a secret added to app '%s'." % cid)
        lifetime = self.args.token_lifetime
        tok = self.store.issue(lifetime, scope=scope, tenant=tenant)
        req.log_extra.update({"auth_ok": True, "token_issued": True})
        return json_response(200, {"token_type": "Bearer", "expires_in": lifetime,
                                   "ext_expires_in": lifetime, "access_token": tok},
                             self.json_type,
                             [("Cache-Control", "no-store, no-cache"), ("Pragma", "no-cache")])

    # -- activity log
    def _auth(self, req):
        tenant = self.args.tenant
        info, err = self.store.check(req.bearer())
        req.log_extra["auth_ok"] = err is None
        wa = ('Bearer authorization_uri="https://login.microsoftonline.com/%s", '
              'error="invalid_token", error_description="%s"')
        if err == "missing":
            return self.arm_error(401, "AuthenticationFailed",
                                  "Authentication failed. The 'Authorization' header is missing.",
                                  [("WWW-Authenticate", wa % (tenant, "The authentication "
                                    "failed because of missing 'Authorization' header."))])
        if err == "invalid":
            return self.arm_error(401, "InvalidAuthenticationToken",
                                  "The access token is invalid.",
                                  [("WWW-Authenticate", wa % (tenant, "The access token is invalid."))])
        if err == "expired":
            return self.arm_error(401, "ExpiredAuthenticationToken",
                                  "The access token expiry UTC time '%s' is earlier than current "
                                  "UTC time '%s'." % (iso_z(info["expires"]), wall_iso()),
                                  [("WWW-Authenticate", wa % (tenant, "The access token expiry "
                                    "UTC time is earlier than current UTC time."))])
        if info["scope"] not in self.ARM_AUDIENCES:
            req.log_extra["auth_ok"] = False
            return self.arm_error(401, "InvalidAuthenticationTokenAudience",
                                  "The access token has been obtained for wrong audience or "
                                  "resource '%s'. It should exactly match with one of the allowed "
                                  "audiences 'https://management.core.windows.net/',"
                                  "'https://management.azure.com/'."
                                  % info["scope"][:-len(".default")])
        return None

    # -- Microsoft 365 content listing
    def o365_error(self, status, code, message):
        return json_response(status, {"error": {"code": code, "message": message}}, self.json_type)

    def o365_content(self, req, tenant):
        req.log_extra["op"] = "ListAvailableContent"
        info, err = self.store.check(req.bearer())
        req.log_extra["auth_ok"] = err is None
        if err is not None:
            return self.o365_error(401, "AF10001" if err == "missing" else "AF10002",
                                   "Authorization has been denied for this request (%s token)." % err)
        if info["scope"] != self.O365_AUDIENCE:
            req.log_extra["auth_ok"] = False
            return self.o365_error(401, "AF10001", "The token does not carry ActivityFeed.Read "
                                   "for https://manage.office.com.")
        if tenant != self.args.tenant:
            return self.o365_error(403, "AF20010", "The tenant ID in the URL does not match the "
                                   "tenant of the token.")
        q = req.query
        ctype = (q.get("contentType") or [None])[0]
        if ctype not in self.O365_TYPES:
            return self.o365_error(400, "AF20020", "contentType is missing or not supported.")
        start, end = (q.get("startTime") or [None])[0], (q.get("endTime") or [None])[0]
        if (start is None) != (end is None):
            return self.o365_error(400, "AF20030", "Start time and end time must both be specified "
                                   "(or both omitted) and be less than or equal to 24 hours apart.")
        page = 0
        nxt = (q.get("nextPage") or [None])[0]
        if nxt is not None:
            if not nxt.isdigit():
                return self.o365_error(400, "AF20031", "Invalid nextPage input: %s." % nxt)
            page = int(nxt)
        size = self.page_size
        blobs = []
        port = self.server.port
        for i in range(page * size, min((page + 1) * size, self.O365_BLOBS)):
            created = self.cfg.now - 86400 + (i * 86400) // self.O365_BLOBS
            cid = "%s$%s$%d" % (det_uuid("o365", self.cfg.scenario, ctype, i).replace("-", ""), ctype, i)
            blobs.append({"contentType": ctype, "contentId": cid,
                          "contentUri": "https://%s:%d/api/v1.0/%s/activity/feed/audit/%s"
                                        % (self.args.advertise_host, port, tenant, cid),
                          "contentCreated": time.strftime("%Y-%m-%dT%H:%M:%S.000Z", time.gmtime(created)),
                          "contentExpiration": time.strftime("%Y-%m-%dT%H:%M:%S.000Z",
                                                             time.gmtime(created + 7 * 86400))})
        headers = []
        if (page + 1) * size < self.O365_BLOBS:
            keep = "&".join("%s=%s" % (k, urllib.parse.quote(v[0], safe=""))
                            for k, v in q.items() if k != "nextPage")
            nxt_page = page if self.loop() else page + 1
            headers.append(("NextPageUri", "https://%s:%d%s?%s&nextPage=%d"
                            % (self.args.advertise_host, port, req.path, keep, nxt_page)))
        req.log_extra.update({"items": len(blobs), "has_next": bool(headers)})
        return json_response(200, blobs, self.json_type, headers)

    _CLAUSE = re.compile(r"^\s*(\w+)\s+(ge|le|eq)\s+'([^']*)'\s*$", re.I)

    def _parse_filter(self, text):
        if not text:
            raise ApiError(400, "BadRequest", "The $filter query parameter is required, e.g. "
                           "eventTimestamp ge '2026-11-23T00:00:00Z' and eventTimestamp le "
                           "'2026-11-24T00:00:00Z'.")
        ge = le = None
        eq = {}
        for clause in re.split(r"\s+and\s+", text.strip(), flags=re.I):
            m = self._CLAUSE.match(clause)
            if not m:
                raise ApiError(400, "BadRequest", "The $filter '%s' is not supported." % text)
            field, op, value = m.group(1), m.group(2).lower(), m.group(3)
            if field == "eventTimestamp" and op in ("ge", "le"):
                try:
                    ns = fakelib.parse_iso8601_ns(value)
                except ValueError:
                    raise ApiError(400, "BadRequest", "Invalid timestamp %r in $filter." % value)
                if op == "ge":
                    ge = ns
                else:
                    le = ns
            elif op == "eq" and field in ("resourceGroupName", "resourceProvider",
                                          "correlationId", "resourceUri", "resourceId"):
                eq[field] = value.lower()
            else:
                raise ApiError(400, "BadRequest", "The $filter '%s' is not supported." % text)
        if ge is None or le is None:
            raise ApiError(400, "BadRequest", "The $filter must contain both "
                           "'eventTimestamp ge' and 'eventTimestamp le'.")
        if ge > le:
            raise ApiError(400, "BadRequest", "The start time must be before the end time.")
        if le - ge > 90 * sc.DAY * 10 ** 9:
            raise ApiError(400, "BadRequest", "The time range must not exceed 90 days.")
        return ge, le, eq

    @staticmethod
    def _eq_ok(ev, eq):
        for field, value in eq.items():
            actual = {"resourceGroupName": ev["resourceGroupName"],
                      "resourceProvider": ev["resourceProviderName"]["value"],
                      "correlationId": ev["correlationId"],
                      "resourceUri": ev["resourceId"],
                      "resourceId": ev["resourceId"]}[field]
            if actual.lower() != value:
                return False
        return True

    def activity_log(self, req, subscription):
        req.log_extra["op"] = "ActivityLogs_List"
        denied = self._auth(req)
        if denied:
            return denied
        if req.method != "GET":
            return self.arm_error(405, "MethodNotAllowed", "Method not allowed.")
        if subscription.lower() != self.args.subscription.lower():
            return self.arm_error(404, "SubscriptionNotFound",
                                  "The subscription '%s' could not be found." % subscription)
        api_version = req.q("api-version")
        if api_version is None:
            return self.arm_error(400, "MissingApiVersionParameter",
                                  "The api-version query parameter (?api-version=) is required "
                                  "for all requests.")
        if api_version != "2015-04-01":
            return self.arm_error(400, "InvalidApiVersionParameter",
                                  "The api-version '%s' is invalid. The supported versions are "
                                  "'2015-04-01'." % api_version)
        try:
            ge, le, eq = self._parse_filter(req.q("$filter"))
            select = None
            if req.q("$select"):
                select = [s.strip() for s in req.q("$select").split(",") if s.strip()]
                bad = [s for s in select if s not in self.SELECTABLE]
                if bad:
                    raise ApiError(400, "BadRequest", "Unsupported $select fields: %s"
                                   % ", ".join(bad))
        except ApiError as e:
            return self.arm_error(e.status, e.code, e.message)
        s = self.stream()
        lo, hi = s.index_range(-(-ge // 100), le // 100)   # ns -> ticks (ceil, floor)
        fp = self.fp([req.q("$filter"), req.q("$select")])
        cursor = hi - 1
        token = req.q("$skiptoken") or req.q("$skipToken")
        if token is not None:
            try:
                cursor = self.tokens.parse(token, fp)[0] - 1
            except TokenError:
                return self.arm_error(400, "InvalidSkipToken",
                                      "The $skiptoken is invalid or was issued for a "
                                      "different query.")
        first = cursor
        out = []
        while cursor >= lo and len(out) < self.page_size:
            ev = s.event(cursor)
            cursor -= 1
            if eq and not self._eq_ok(ev, eq):
                continue
            if select:
                ev = {k: ev[k] for k in select if k in ev}
            out.append(ev)
        resp = {"value": out}
        nxt_cursor = first + 1 if self.loop() else (cursor + 1 if cursor >= lo else None)
        if nxt_cursor is not None:
            tok = self.tokens.make(nxt_cursor, fp)
            q = [("api-version", api_version), ("$filter", req.q("$filter"))]
            if req.q("$select"):
                q.append(("$select", req.q("$select")))
            q.append(("$skiptoken", tok))
            resp["nextLink"] = "https://%s:%d%s?%s" % (
                self.args.advertise_host, self.server.port, req.path,
                "&".join("%s=%s" % (k, urllib.parse.quote(v, safe="")) for k, v in q))
        req.log_extra.update({"items": len(out), "has_next": "nextLink" in resp})
        return json_response(200, resp, self.json_type,
                             [("x-ms-ratelimit-remaining-subscription-reads", "11999"),
                              ("x-ms-request-id", det_uuid("msreq", time.time_ns()))])


# ==========================================================================
# GCP: service-account JWT bearer grant + Cloud Logging entries:list

class GcpApp(BaseApp):
    stream_class = sc.GcpStream
    json_type = "application/json; charset=UTF-8"
    SCOPES = ("https://www.googleapis.com/auth/logging.read",
              "https://www.googleapis.com/auth/cloud-platform",
              "https://www.googleapis.com/auth/cloud-platform.read-only",
              "https://www.googleapis.com/auth/logging.admin")
    FILTER_FIELDS = ("logName", "timestamp", "protoPayload.methodName",
                     "protoPayload.serviceName", "resource.type", "severity")
    SEVERITIES = ("DEFAULT", "DEBUG", "INFO", "NOTICE", "WARNING", "ERROR", "CRITICAL",
                  "ALERT", "EMERGENCY")

    def __init__(self, args):
        BaseApp.__init__(self, args)
        self.store = TokenStore("ya29.fake-")
        self.public_key = None
        if args.sa_public_key:
            with open(args.sa_public_key) as f:
                self.public_key = rs256.load_public_key(f.read())

    def stream(self):
        return self.cached("stream", sc.GcpStream)

    def classify(self, req):
        if req.path == "/token":
            return "token"
        if req.path.startswith("/v2/"):
            return "api"
        return None

    def stats(self):
        return {"tokens_issued": self.store.issued}

    def expire_tokens(self):
        return self.store.expire_all()

    def g_error(self, status, gstatus, message, details=None, headers=None):
        err = {"code": status, "message": message, "status": gstatus}
        if details:
            err["details"] = details
        return json_response(status, {"error": err}, self.json_type, headers)

    def oauth_error(self, error, description, status=400):
        return json_response(status, {"error": error, "error_description": description},
                             self.json_type, [("Cache-Control", "no-cache, no-store, max-age=0")])

    def throttle_response(self, req, fault):
        if req.kind == "token":
            r = self.oauth_error("rate_limit_exceeded", "Rate limit exceeded (fake).", 429)
        else:
            r = self.g_error(
                429, "RESOURCE_EXHAUSTED",
                "Quota exceeded for quota metric 'Read requests' and limit 'Read requests per "
                "minute' of service 'logging.googleapis.com' for consumer "
                "'project_number:100000000001'.",
                [{"@type": "type.googleapis.com/google.rpc.ErrorInfo",
                  "reason": "RATE_LIMIT_EXCEEDED", "domain": "googleapis.com",
                  "metadata": {"service": "logging.googleapis.com",
                               "quota_metric": "logging.googleapis.com/read_requests",
                               "quota_limit": "ReadRequestsPerMinutePerProject",
                               "consumer": "projects/100000000001"}}])
        self.add_retry_after(r, fault)
        return r

    def error_response(self, req, code):
        if req.kind == "token":
            return self.oauth_error("internal_failure", "Backend Error", code)
        if code == 503:
            return self.g_error(503, "UNAVAILABLE", "The service is currently unavailable.")
        return self.g_error(code, "INTERNAL", "Internal error encountered.")

    def oversize_parts(self, req):
        if req.kind == "token":
            return (b'{"token_type":"Bearer","padding":[', b'"' + b"x" * 64 + b'"',
                    b'],"expires_in":3599,"access_token":"oversize"}')
        item = json.dumps(self.stream().entry(0), separators=(",", ":")).encode()
        return b'{"entries":[', item, b"]}"

    def handle(self, req):
        if req.path == "/token":
            return self.token(req)
        if req.path == "/v2/entries:list":
            return self.entries_list(req)
        return self.g_error(404, "NOT_FOUND", "Method not found.")

    def token_urls(self):
        port = self.server.port
        urls = {"https://127.0.0.1:%d/token" % port, "https://localhost:%d/token" % port,
                "https://%s:%d/token" % (self.args.advertise_host, port)}
        if self.args.token_aud:
            urls.add(self.args.token_aud)
        return urls

    def token(self, req):
        req.log_extra["op"] = "token"
        req.log_extra["auth_ok"] = False
        if req.method != "POST":
            return self.oauth_error("invalid_request", "Only POST is supported.", 405)
        form = {k: v[0] for k, v in req.form().items()}
        gt = form.get("grant_type")
        if gt != "urn:ietf:params:oauth:grant-type:jwt-bearer":
            return self.oauth_error("unsupported_grant_type", "Invalid grant_type: %s" % (gt or ""))
        assertion = form.get("assertion")
        if not assertion:
            return self.oauth_error("invalid_request", "Missing required parameter: assertion")
        if self.public_key is None:
            return self.oauth_error("invalid_grant", "Fake started without --sa-public-key.")
        try:
            header, claims = rs256.verify_jwt(assertion, self.public_key)
        except rs256.JWTError as e:
            return self.oauth_error("invalid_grant", str(e))
        if self.args.sa_key_id and header.get("kid") not in (None, self.args.sa_key_id):
            return self.oauth_error("invalid_grant", "Invalid JWT Signature.")
        if claims.get("iss") != self.args.sa_email:
            return self.oauth_error("invalid_grant", "Invalid grant: account not found")
        if claims.get("aud") not in self.token_urls():
            return self.oauth_error("invalid_grant",
                                    "Invalid JWT: Failed audience check. The right audience is "
                                    "https://%s:%d/token" % (self.args.advertise_host,
                                                             self.server.port))
        scopes = str(claims.get("scope") or "").split()
        if not any(s in self.SCOPES for s in scopes):
            return self.oauth_error("invalid_scope",
                                    "Invalid OAuth scope or ID token audience provided.")
        iat, exp = claims.get("iat"), claims.get("exp")
        now = time.time()
        if not isinstance(iat, (int, float)) or not isinstance(exp, (int, float)) or \
                abs(iat - now) > 300 or exp <= now or exp - iat > 3600 or exp <= iat:
            return self.oauth_error(
                "invalid_grant",
                "Invalid JWT: Token must be a short-lived token (60 minutes) and in a "
                "reasonable timeframe. Check your iat and exp values in the JWT claim.")
        lifetime = self.args.token_lifetime
        tok = self.store.issue(lifetime, scopes=scopes)
        req.log_extra.update({"auth_ok": True, "token_issued": True})
        return json_response(200, {"access_token": tok, "expires_in": lifetime,
                                   "token_type": "Bearer"}, self.json_type,
                             [("Cache-Control", "no-cache, no-store, max-age=0")])

    _TERM = re.compile(r'^\s*([A-Za-z_.]+)\s*(>=|<=|!=|=|>|<|:)\s*("((?:[^"\\]|\\.)*)"|(\S+))\s*$')

    def _parse_filter(self, text):
        """Supported subset: terms 'field OP value' joined by AND."""
        terms = []
        if not text or not text.strip():
            return terms
        for part in re.split(r"\s+AND\s+", text.strip()):
            m = self._TERM.match(part)
            if not m or m.group(1) not in self.FILTER_FIELDS:
                raise ApiError(400, "INVALID_ARGUMENT",
                               "Unsupported filter term for this fake: %r (supported: %s "
                               "joined by AND)" % (part, ", ".join(self.FILTER_FIELDS)))
            value = m.group(4) if m.group(4) is not None else m.group(5)
            value = value.replace('\\"', '"')
            terms.append((m.group(1), m.group(2), value))
        return terms

    def entries_list(self, req):
        req.log_extra["op"] = "entries.list"
        info, err = self.store.check(req.bearer())
        req.log_extra["auth_ok"] = err is None
        if err:
            return self.g_error(
                401, "UNAUTHENTICATED",
                "Request had invalid authentication credentials. Expected OAuth 2 access token, "
                "login cookie or other valid authentication credential. See "
                "https://developers.google.com/identity/sign-in/web/devconsole-project.",
                headers=[("WWW-Authenticate",
                          'Bearer realm="https://accounts.google.com/", error="invalid_token"')])
        if req.method != "POST":
            return self.g_error(405, "INVALID_ARGUMENT", "Use POST.")
        try:
            body = req.json() or {}
            if not isinstance(body, dict):
                raise ValueError("not an object")
        except ValueError as e:
            return self.g_error(400, "INVALID_ARGUMENT",
                                "Invalid JSON payload received. %s" % e)
        try:
            return self._entries(req, body)
        except ApiError as e:
            return self.g_error(e.status, e.code, e.message)

    def _entries(self, req, body):
        cfg = self.cfg
        unknown = set(body) - {"resourceNames", "filter", "orderBy", "pageSize", "pageToken",
                               "projectIds"}
        if unknown:
            name = sorted(unknown)[0]
            raise ApiError(400, "INVALID_ARGUMENT",
                           'Invalid JSON payload received. Unknown name "%s": Cannot find '
                           "field." % name)
        names = body.get("resourceNames")
        if not isinstance(names, list) or not names:
            raise ApiError(400, "INVALID_ARGUMENT", "resourceNames must be specified.")
        mine = "projects/%s" % cfg.project
        for n in names:
            if n != mine:
                raise ApiError(403, "PERMISSION_DENIED",
                               "The caller does not have permission (resource %s)." % n)
        order = (body.get("orderBy") or "timestamp asc").strip()
        if order not in ("timestamp asc", "timestamp desc"):
            raise ApiError(400, "INVALID_ARGUMENT",
                           "orderBy must be \"timestamp asc\" or \"timestamp desc\".")
        size = body.get("pageSize")
        limit = self.page_size
        if size is not None:
            if not isinstance(size, int) or isinstance(size, bool):
                raise ApiError(400, "INVALID_ARGUMENT", "pageSize must be an integer.")
            if size > 0:
                limit = min(size, 1000, self.page_size)
        terms = self._parse_filter(body.get("filter"))
        s = self.stream()
        t_min, t_max, others, empty = None, None, [], False
        for field, op, value in terms:
            if field == "timestamp":
                try:
                    ns = fakelib.parse_iso8601_ns(value)
                except ValueError:
                    raise ApiError(400, "INVALID_ARGUMENT", "Invalid timestamp %r." % value)
                if op in (">=", ">", "="):
                    v = ns + (1 if op == ">" else 0)
                    t_min = v if t_min is None else max(t_min, v)
                if op in ("<=", "<", "="):
                    v = ns - (1 if op == "<" else 0)
                    t_max = v if t_max is None else min(t_max, v)
                if op in ("!=", ":"):
                    raise ApiError(400, "INVALID_ARGUMENT", "Unsupported timestamp operator.")
            elif field == "logName":
                if op != "=":
                    raise ApiError(400, "INVALID_ARGUMENT", "logName supports only '='.")
                if value != s.log_name:
                    empty = True
            else:
                others.append((field, op, value))
        lo, hi = s.index_range(t_min, t_max)
        if empty:
            lo = hi
        desc = order == "timestamp desc"
        fp = self.fp([names, body.get("filter"), order])
        pos, flags = (hi - 1 if desc else lo), 0
        token = body.get("pageToken")
        if token:
            try:
                pos, flags = self.tokens.parse(token, fp)
            except TokenError:
                raise ApiError(400, "INVALID_ARGUMENT", "The page token is invalid.")
            pos -= 1 if desc else 0
        looping = self.loop()
        if token and not flags & 1 and (lo <= pos < hi) and not looping:
            # One empty page with a token (real Cloud Logging can do this).
            req.log_extra.update({"items": 0, "has_next": True, "empty_page": True})
            return json_response(200, {"nextPageToken": self.tokens.make(
                pos + (1 if desc else 0), fp, flags | 1)}, self.json_type)
        first = pos
        out = []
        while lo <= pos < hi and len(out) < limit:
            i = pos
            pos += -1 if desc else 1
            if others and not self._match(s, i, others):
                continue
            out.append(s.entry(i))
        resp = {}
        if out:
            resp["entries"] = out
        if looping:
            resp["nextPageToken"] = token or self.tokens.make(first + (1 if desc else 0), fp, flags)
        elif lo <= pos < hi:
            resp["nextPageToken"] = self.tokens.make(pos + (1 if desc else 0), fp, flags)
        req.log_extra.update({"items": len(out), "has_next": "nextPageToken" in resp})
        return json_response(200, resp, self.json_type)

    def _match(self, s, i, terms):
        e = None
        for field, op, value in terms:
            if field in ("protoPayload.methodName", "protoPayload.serviceName"):
                service, method = s.method_of(i)
                actual = method if field.endswith("methodName") else service
            else:
                e = e or s.entry(i)
                actual = e["resource"]["type"] if field == "resource.type" else e["severity"]
            if field == "severity" and op in (">=", ">", "<=", "<"):
                a, b = self.SEVERITIES.index(actual), \
                    self.SEVERITIES.index(value) if value in self.SEVERITIES else -1
                ok = {">=": a >= b, ">": a > b, "<=": a <= b, "<": a < b}[op]
            elif op == "=":
                ok = actual == value
            elif op == "!=":
                ok = actual != value
            elif op == ":":
                ok = value in actual
            else:
                raise ApiError(400, "INVALID_ARGUMENT", "Unsupported operator %s for %s."
                               % (op, field))
            if not ok:
                return False
        return True


APPS = {"aws-ssm": SsmApp, "aws-backup": BackupApp, "aws-cloudtrail": CloudTrailApp,
        "fleet": FleetApp, "knowbe4": KnowBe4App, "azure": AzureApp, "gcp": GcpApp}


def parse_args(argv):
    p = argparse.ArgumentParser(
        description="Local HTTPS fake of a vendor API for ismsd tests.",
        epilog="See README.md next to this file.")
    p.add_argument("--vendor", required=True, choices=VENDORS)
    p.add_argument("--scenario", default="healthy", choices=sc.SCENARIOS)
    p.add_argument("--page-size", type=int, default=None,
                   help="server-side page size / cap (default per vendor, see README)")
    p.add_argument("--events", type=int, default=None,
                   help="number of audit events (aws-cloudtrail, azure, gcp)")
    p.add_argument("--now", default=fakelib.DEFAULT_NOW,
                   help="the fake's data clock, ISO 8601 (default %s)" % fakelib.DEFAULT_NOW)
    p.add_argument("--summary", action="store_true",
                   help="print the scenario's expected KPI numbers as JSON and exit")
    p.add_argument("--advertise-host", default="127.0.0.1",
                   help="host used in absolute URLs (Azure nextLink, GCP token audience)")
    g = p.add_argument_group("AWS")
    g.add_argument("--region", default="us-east-1")
    g.add_argument("--access-key", default="AKIDEXAMPLE")
    g.add_argument("--secret-key", default="wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY")
    g.add_argument("--session-token", default=None,
                   help="if set, X-Amz-Security-Token must be present, signed and equal")
    g.add_argument("--max-skew", type=int, default=300,
                   help="max |X-Amz-Date - wall clock| in seconds (0 = no check)")
    g = p.add_argument_group("Fleet / KnowBe4")
    g.add_argument("--token", default=None,
                   help="expected bearer token (default test-token-fleet / test-token-knowbe4)")
    g = p.add_argument_group("Azure")
    g.add_argument("--tenant", default="11111111-2222-3333-4444-555555555555")
    g.add_argument("--client-id", default="aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee")
    g.add_argument("--client-secret", default="test-secret-azure")
    g.add_argument("--subscription", default="00000000-1111-2222-3333-444444444444")
    g.add_argument("--token-lifetime", type=int, default=3599,
                   help="expires_in of issued tokens, seconds (Azure, GCP)")
    g = p.add_argument_group("GCP")
    g.add_argument("--sa-public-key", help="PEM public key of the service account (sa.pub.pem)")
    g.add_argument("--sa-email",
                   default="ismsd-collector@ismsd-test-project.iam.gserviceaccount.com")
    g.add_argument("--sa-key-id", default=None,
                   help="if set, a JWT 'kid' header must match it")
    g.add_argument("--project", default="ismsd-test-project")
    g.add_argument("--token-aud", default=None, help="extra accepted JWT audience")
    fakelib.add_common_args(p)
    if "--summary" in argv:
        for action in p._actions:
            if action.dest in ("cert", "key", "port_file"):
                action.required = False
    a = p.parse_args(argv)
    if a.page_size is not None and a.page_size < 1:
        p.error("--page-size must be >= 1")
    page, events = DEFAULTS[a.vendor]
    a.page_size = a.page_size or page
    if a.events is None:
        a.events = events
    elif events is None:
        sys.stderr.write("fake.py: --events is ignored for %s\n" % a.vendor)
        a.events = None
    if a.token is None:
        a.token = {"fleet": "test-token-fleet", "knowbe4": "test-token-knowbe4"}.get(a.vendor)
    a.now_epoch = parse_iso8601(a.now)
    return a


def main(argv):
    a = parse_args(argv)
    try:
        if a.summary:
            cfg = make_config(a, a.scenario, a.now_epoch, a.events)
            print(json.dumps(sc.summary(a.vendor, cfg), indent=2, sort_keys=True))
            return 0
        app = APPS[a.vendor](a)
    except (ValueError, OSError) as e:
        sys.stderr.write("fake.py: %s\n" % e)
        return 2
    return fakelib.serve(app, a)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
