#!/usr/bin/env python3
"""Local HTTPS webhook receiver for the ismsd integration tests.

    receiver.py --cert server.pem --key server.key --port-file F [--log F]
                [--secret whsec_... (repeatable)] [--tolerance 300]
                [--format standard|cloudevents|pagerduty|slack|alertmanager]
                [--http] [--port N] [--faults JSON] [--verbose]
    receiver.py --selftest
    receiver.py sign --secret whsec_... [--secret ...] [--id ID] [--timestamp TS] --data BODY

It accepts POST on any path (alertmanager: only /api/v2/alerts). It checks each
request the way a strict consumer of that format would:
  * standard, cloudevents: Standard Webhooks v1 signature (webhook-id,
    webhook-timestamp, webhook-signature; HMAC-SHA256; constant-time compare;
    timestamp tolerance; several signatures allowed for key rotation): 401 with
    a reason otherwise;
  * every format: Content-Type and body shape: 400 with a reason otherwise.
Accepted deliveries and all attempts are kept in memory for the tests
(GET /__receiver/deliveries, GET /__receiver/attempts) and written to --log.
Faults (status codes, Retry-After, redirects, stalls) and a "down" mode are
controlled at run time through /__receiver/... on the same port.
See README.md next to this file.

Python 3 standard library only. The server core (TLS, keep-alive, port file,
request log, fault queue) comes from fakelib.py.
"""

import argparse
import base64
import binascii
import datetime
import hashlib
import hmac
import http.server
import itertools
import json
import os
import re
import select
import signal
import socket
import ssl
import struct
import sys
import threading
import time
import traceback
import uuid

sys.dont_write_bytecode = True  # keep the source tree clean
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import fakelib  # noqa: E402
from fakelib import Response, json_response, wall_iso  # noqa: E402

FORMATS = ("standard", "cloudevents", "pagerduty", "slack", "alertmanager")
SIGNED_FORMATS = ("standard", "cloudevents")
CONTROL_PREFIX = "/__receiver/"
REDIRECT_TARGET = "/__receiver/redirect-target"
ALERTMANAGER_PATH = "/api/v2/alerts"
SECRET_PREFIX = "whsec_"
MAX_LONG_POLL = 120.0
BODY_TEXT_MAX = 2048

# ==========================================================================
# Standard Webhooks v1 (symmetric): signing and verification.


class SecretError(ValueError):
    pass


def decode_secret(secret):
    """'whsec_<base64>' -> key bytes. Missing base64 padding is tolerated (as
    in the reference Python library). Raises SecretError."""
    if not isinstance(secret, str) or not secret.startswith(SECRET_PREFIX):
        raise SecretError("a secret must look like whsec_<base64>")
    b64 = secret[len(SECRET_PREFIX):]
    if not re.fullmatch(r"[A-Za-z0-9+/]+={0,2}", b64):
        raise SecretError("the part after whsec_ is not base64")
    try:
        key = base64.b64decode(b64 + "=" * (-len(b64) % 4), validate=True)
    except (binascii.Error, ValueError):
        raise SecretError("the part after whsec_ is not valid base64")
    if not key:
        raise SecretError("empty secret")
    return key


def sign(key, msg_id, timestamp, body):
    """-> 'v1,<base64 HMAC-SHA256(key, id.timestamp.body)>'. body is bytes."""
    if isinstance(body, str):
        body = body.encode("utf-8")
    signed = ("%s.%s." % (msg_id, timestamp)).encode("utf-8") + body
    mac = hmac.new(key, signed, hashlib.sha256).digest()
    return "v1," + base64.b64encode(mac).decode("ascii")


def signature_header(keys, msg_id, timestamp, body):
    """Space-separated v1 signatures, one per key (key rotation)."""
    return " ".join(sign(k, msg_id, timestamp, body) for k in keys)


class VerifyResult:
    def __init__(self, ok, reason, signatures=0, matched_secret=None, matched_signature=None):
        self.ok = ok
        self.reason = reason
        self.signatures = signatures            # number of v1 entries in the header
        self.matched_secret = matched_secret    # index into the configured secrets
        self.matched_signature = matched_signature  # index of the v1 entry that matched

    def info(self):
        return {"v1_signatures": self.signatures, "matched_secret": self.matched_secret,
                "matched_signature": self.matched_signature}


def verify(keys, msg_id, timestamp, sig_header, body, tolerance=300, now=None):
    """Standard Webhooks consumer check. keys: list of key bytes (any may
    verify). tolerance: seconds (0 = no timestamp check). Returns VerifyResult."""
    if msg_id is None:
        return VerifyResult(False, "missing webhook-id header")
    if timestamp is None:
        return VerifyResult(False, "missing webhook-timestamp header")
    if sig_header is None:
        return VerifyResult(False, "missing webhook-signature header")
    if not msg_id.strip():
        return VerifyResult(False, "empty webhook-id")
    if "." in msg_id:
        return VerifyResult(False, "webhook-id must not contain '.'")
    if not re.fullmatch(r"[0-9]{1,18}", timestamp):
        return VerifyResult(False, "webhook-timestamp is not integer Unix seconds: %r"
                            % timestamp[:40])
    ts = int(timestamp)
    now = time.time() if now is None else now
    if tolerance:
        if ts < now - tolerance:
            return VerifyResult(False, "webhook-timestamp too old: %d s before the receiver's "
                                "clock (tolerance %d s)" % (int(now - ts), tolerance))
        if ts > now + tolerance:
            hint = " (milliseconds instead of seconds?)" if ts > 10 ** 11 else ""
            return VerifyResult(False, "webhook-timestamp too new: %d s after the receiver's "
                                "clock (tolerance %d s)%s" % (int(ts - now), tolerance, hint))
    if isinstance(body, str):
        body = body.encode("utf-8")
    signed = ("%s.%s." % (msg_id, timestamp)).encode("utf-8") + body
    expected = [hmac.new(k, signed, hashlib.sha256).digest() for k in keys]
    entries = sig_header.split(" ")
    total_v1 = count_v1(sig_header)
    v1 = 0
    malformed = 0
    for pos, entry in enumerate(e for e in entries if e):
        version, sep, value = entry.partition(",")
        if not sep:
            malformed += 1
            continue
        if version != "v1":
            continue  # e.g. v1a (asymmetric): not ours, ignored like the reference libraries
        v1 += 1
        try:
            given = base64.b64decode(value, validate=True)
        except (binascii.Error, ValueError):
            malformed += 1
            continue
        for idx, exp in enumerate(expected):
            if hmac.compare_digest(given, exp):
                return VerifyResult(True, "ok", total_v1, idx, pos)
    if v1 == 0:
        return VerifyResult(False, "webhook-signature has no v1 signature", 0)
    extra = " (%d malformed)" % malformed if malformed else ""
    return VerifyResult(False, "no matching signature: %d v1 signature(s)%s checked against %d "
                        "secret(s)" % (v1, extra, len(keys)), v1)


def count_v1(sig_header):
    return sum(1 for e in (sig_header or "").split(" ") if e.startswith("v1,"))


# ==========================================================================
# Body shape validation. Each validator raises ShapeError(reason).


class ShapeError(ValueError):
    def __init__(self, reason, code=None):
        ValueError.__init__(self, reason)
        self.reason = reason
        self.code = code  # Slack error code


_RFC3339_RE = re.compile(
    r"^(\d{4})-(\d{2})-(\d{2})[Tt](\d{2}):(\d{2}):(\d{2})(\.\d+)?([Zz]|([+-])(\d{2}):(\d{2}))$")


def is_rfc3339(value):
    if not isinstance(value, str):
        return False
    m = _RFC3339_RE.match(value)
    if not m:
        return False
    y, mo, d, hh, mm, ss = (int(x) for x in m.groups()[:6])
    try:
        datetime.date(y, mo, d)
    except ValueError:
        return False
    if hh > 23 or mm > 59 or ss > 60:  # 60 = leap second
        return False
    if m.group(9) and (int(m.group(10)) > 23 or int(m.group(11)) > 59):
        return False
    return True


def _need_obj(value, what):
    if not isinstance(value, dict):
        raise ShapeError("%s must be a JSON object" % what)


def _need_str(obj, key, what, required=True, max_len=None, nonempty=True):
    if key not in obj:
        if required:
            raise ShapeError("%s: missing required %r" % (what, key))
        return None
    v = obj[key]
    if not isinstance(v, str):
        raise ShapeError("%s: %r must be a string" % (what, key))
    if nonempty and not v:
        raise ShapeError("%s: %r must not be empty" % (what, key))
    if max_len is not None and len(v) > max_len:
        raise ShapeError("%s: %r is %d characters long (at most %d)" % (what, key, len(v), max_len))
    return v


def _no_unknown(obj, allowed, what):
    extra = sorted(k for k in obj if k not in allowed)
    if extra:
        raise ShapeError("%s: unknown member(s) %s (allowed: %s)"
                         % (what, ", ".join(repr(k) for k in extra), ", ".join(sorted(allowed))))


_EVENT_TYPE_RE = re.compile(r"^[A-Za-z0-9_]+(\.[A-Za-z0-9_]+)+$")


def validate_standard(body):
    """{"type": "a.b", "timestamp": RFC 3339, "data": {...}}, nothing else."""
    _need_obj(body, "body")
    _no_unknown(body, ("type", "timestamp", "data"), "body")
    t = _need_str(body, "type", "body")
    if not _EVENT_TYPE_RE.match(t):
        raise ShapeError("body: 'type' must be dot-delimited [A-Za-z0-9_] identifiers "
                         "(e.g. nonconformity.raised), got %r" % t[:80])
    ts = _need_str(body, "timestamp", "body")
    if not is_rfc3339(ts):
        raise ShapeError("body: 'timestamp' is not RFC 3339: %r" % ts[:80])
    if "data" not in body:
        raise ShapeError("body: missing required 'data'")
    _need_obj(body["data"], "body: 'data'")


_CE_NAME_RE = re.compile(r"^[a-z0-9]{1,20}$")
_MEDIA_TYPE_RE = re.compile(r"^[A-Za-z0-9][\w.+-]*/[A-Za-z0-9][\w.+-]*(\s*;.*)?$")
_CE_KNOWN = ("specversion", "id", "source", "type", "time", "subject", "datacontenttype",
             "dataschema", "data", "data_base64")


def validate_cloudevents(ev):
    """CloudEvents 1.0 JSON format, one event (structured mode)."""
    _need_obj(ev, "event")
    if "specversion" not in ev:
        raise ShapeError("event: missing required 'specversion'")
    if ev["specversion"] != "1.0":
        raise ShapeError("event: 'specversion' must be the string \"1.0\", got %s"
                         % json.dumps(ev["specversion"])[:40])
    _need_str(ev, "id", "event")
    src = _need_str(ev, "source", "event")
    if re.search(r"[\s\x00-\x1f\x7f]", src):
        raise ShapeError("event: 'source' is not a URI-reference (whitespace or control "
                         "characters): %r" % src[:80])
    _need_str(ev, "type", "event")
    if ev.get("time") is not None:
        if not is_rfc3339(ev["time"]):
            raise ShapeError("event: 'time' is not RFC 3339: %s" % json.dumps(ev["time"])[:80])
    if ev.get("subject") is not None:
        _need_str(ev, "subject", "event")
    if ev.get("datacontenttype") is not None:
        dct = _need_str(ev, "datacontenttype", "event")
        if not _MEDIA_TYPE_RE.match(dct):
            raise ShapeError("event: 'datacontenttype' is not a media type: %r" % dct[:80])
    if ev.get("dataschema") is not None:
        _need_str(ev, "dataschema", "event")
    if "data" in ev and "data_base64" in ev:
        raise ShapeError("event: 'data' and 'data_base64' are mutually exclusive")
    if ev.get("data_base64") is not None:
        b = _need_str(ev, "data_base64", "event", nonempty=False)
        try:
            base64.b64decode(b, validate=True)
        except (binascii.Error, ValueError):
            raise ShapeError("event: 'data_base64' is not base64")
    for name, value in ev.items():
        if name in _CE_KNOWN:
            continue
        if not _CE_NAME_RE.match(name):
            raise ShapeError("event: attribute name %r is invalid (extension attributes are "
                             "[a-z0-9]{1,20})" % name[:60])
        if value is None or isinstance(value, (str, bool)):
            continue
        if isinstance(value, int) and -2 ** 31 <= value < 2 ** 31:
            continue
        raise ShapeError("event: extension attribute %r must be a string, a 32-bit integer or "
                         "a boolean" % name)


_PD_TOP = ("routing_key", "event_action", "dedup_key", "payload", "images", "links",
           "client", "client_url")
_PD_PAYLOAD = ("summary", "source", "severity", "timestamp", "component", "group", "class",
               "custom_details")
_PD_SEVERITIES = ("critical", "error", "warning", "info")
_PD_ACTIONS = ("trigger", "acknowledge", "resolve")


def validate_pagerduty(ev):
    """PagerDuty Events API v2 event."""
    _need_obj(ev, "event")
    _no_unknown(ev, _PD_TOP, "event")
    rk = _need_str(ev, "routing_key", "event", nonempty=False)
    if len(rk) != 32:
        raise ShapeError("Length of 'routing_key' is incorrect (should be 32 characters, is %d)"
                         % len(rk))
    action = ev.get("event_action")
    if action not in _PD_ACTIONS:
        raise ShapeError("'event_action' must be one of trigger, acknowledge, resolve; got %s"
                         % json.dumps(action)[:40])
    _need_str(ev, "dedup_key", "event", required=(action != "trigger"), max_len=255)
    if action == "trigger":
        if "payload" not in ev:
            raise ShapeError("event: a trigger needs 'payload'")
        p = ev["payload"]
        _need_obj(p, "'payload'")
        _no_unknown(p, _PD_PAYLOAD, "payload")
        _need_str(p, "summary", "payload", max_len=1024)
        _need_str(p, "source", "payload")
        if p.get("severity") not in _PD_SEVERITIES:
            raise ShapeError("payload: 'severity' must be one of critical, error, warning, info; "
                             "got %s" % json.dumps(p.get("severity"))[:40])
        if "timestamp" in p and not is_rfc3339(p["timestamp"]):
            raise ShapeError("payload: 'timestamp' is not RFC 3339 / ISO 8601: %s"
                             % json.dumps(p["timestamp"])[:80])
        for k in ("component", "group", "class"):
            _need_str(p, k, "payload", required=False)
        if "custom_details" in p:
            _need_obj(p["custom_details"], "payload: 'custom_details'")
    elif "payload" in ev:
        _need_obj(ev["payload"], "'payload'")
    for k in ("client", "client_url"):
        _need_str(ev, k, "event", required=False)
    for key, need in (("images", "src"), ("links", "href")):
        if key in ev:
            if not isinstance(ev[key], list):
                raise ShapeError("event: %r must be an array" % key)
            for i, item in enumerate(ev[key]):
                _need_obj(item, "%s[%d]" % (key, i))
                _need_str(item, need, "%s[%d]" % (key, i))


def validate_slack(msg):
    """Slack incoming webhook message: non-empty text, optional blocks."""
    if not isinstance(msg, dict):
        raise ShapeError("body must be a JSON object", "invalid_payload")
    text = msg.get("text")
    if not isinstance(text, str) or not text.strip():
        raise ShapeError("'text' must be a non-empty string", "no_text")
    if "blocks" in msg:
        blocks = msg["blocks"]
        if not isinstance(blocks, list):
            raise ShapeError("'blocks' must be an array", "invalid_blocks")
        if len(blocks) > 50:
            raise ShapeError("at most 50 blocks per message (got %d)" % len(blocks),
                             "invalid_blocks")
        for i, b in enumerate(blocks):
            if not isinstance(b, dict):
                raise ShapeError("blocks[%d] must be an object" % i, "invalid_blocks")
            if not isinstance(b.get("type"), str) or not b["type"]:
                raise ShapeError("blocks[%d]: 'type' must be a non-empty string" % i,
                                 "invalid_blocks")


_LABEL_RE = re.compile(r"^[a-zA-Z_][a-zA-Z0-9_]*$")
_AM_ALERT = ("labels", "annotations", "startsAt", "endsAt", "generatorURL")


def _label_set(obj, what):
    _need_obj(obj, what)
    for k, v in obj.items():
        if not _LABEL_RE.match(k):
            raise ShapeError("%s: invalid name %r" % (what, k[:60]))
        if not isinstance(v, str):
            raise ShapeError("%s: value of %r must be a string" % (what, k))


def validate_alertmanager(alerts):
    """Alertmanager APIv2 POST /api/v2/alerts body (postableAlerts)."""
    if not isinstance(alerts, list):
        raise ShapeError("body must be a JSON array of alerts")
    for i, a in enumerate(alerts):
        what = "alerts[%d]" % i
        _need_obj(a, what)
        _no_unknown(a, _AM_ALERT, what)
        if "labels" not in a:
            raise ShapeError("%s: missing required 'labels'" % what)
        _label_set(a["labels"], what + ".labels")
        if not a["labels"].get("alertname"):
            raise ShapeError("%s.labels: missing 'alertname'" % what)
        if "annotations" in a:
            _label_set(a["annotations"], what + ".annotations")
        for k in ("startsAt", "endsAt"):
            if k in a and not is_rfc3339(a[k]):
                raise ShapeError("%s: %r is not RFC 3339: %s" % (what, k, json.dumps(a[k])[:80]))
        if "startsAt" in a and "endsAt" in a:
            if (fakelib.parse_iso8601(a["endsAt"].upper())
                    < fakelib.parse_iso8601(a["startsAt"].upper())):
                raise ShapeError("%s: start time must be before end time" % what)
        if "generatorURL" in a:
            _need_str(a, "generatorURL", what)


VALIDATORS = {"standard": validate_standard, "cloudevents": validate_cloudevents,
              "pagerduty": validate_pagerduty, "slack": validate_slack,
              "alertmanager": validate_alertmanager}


def parse_json_strict(raw):
    """bytes -> JSON value; raises ValueError (UTF-8 only, no NaN/Infinity)."""
    def bad_constant(c):
        raise ValueError("%s is not JSON" % c)
    text = raw.decode("utf-8")
    return json.loads(text, parse_constant=bad_constant)


def media_type(value):
    return (value or "").split(";", 1)[0].strip().lower()


# ==========================================================================
# Checking one webhook request (no I/O; used by the server and the self-test).


class Verdict:
    """status/reason: what the receiver answers when no fault overrides it.
    ok: the request passed every check (it is a delivery if the answer is 2xx)."""

    def __init__(self, status, reason, ok=False, sig=None, body=None, body_text=None,
                 response=None):
        self.status, self.reason, self.ok = status, reason, ok
        self.sig, self.body, self.body_text = sig, body, body_text
        self.response = response  # JSON value of a success answer (PagerDuty), for the record


def check_request(fmt, method, path, headers, raw, keys, tolerance, now=None):
    """headers: case-insensitive mapping (email.message.Message or dict with
    lower-case names). Returns a Verdict."""
    get_all = getattr(headers, "get_all", None)

    def hdr_values(name):
        if get_all is not None:
            return get_all(name) or []
        v = headers.get(name)
        return [] if v is None else [v]

    body, body_text = None, None
    try:
        body = parse_json_strict(raw) if raw else None
        json_error = None if raw else "empty body"
    except (UnicodeDecodeError, ValueError) as e:
        json_error = str(e)
        body_text = raw[:BODY_TEXT_MAX].decode("utf-8", "replace")

    def verdict(status, reason, ok=False, sig=None, response=None):
        return Verdict(status, reason, ok, sig, body, body_text, response)

    if path == REDIRECT_TARGET:
        return verdict(409, "redirect followed: webhook senders must not follow 3xx answers")
    if method != "POST":
        return verdict(405, "method %s not allowed: webhooks are POSTed" % method)
    if fmt == "alertmanager" and path != ALERTMANAGER_PATH:
        if path.rstrip("/") == "/api/v1/alerts":
            return verdict(404, "Alertmanager APIv1 was removed in 0.27.0; POST %s"
                           % ALERTMANAGER_PATH)
        return verdict(404, "not found: Alertmanager alerts are POSTed to %s" % ALERTMANAGER_PATH)

    sig = None
    if fmt in SIGNED_FORMATS:
        values = {}
        for name in ("webhook-id", "webhook-timestamp", "webhook-signature"):
            vals = hdr_values(name)
            if len(vals) > 1:
                return verdict(401, "%s header sent %d times" % (name, len(vals)))
            values[name] = vals[0].strip() if vals else None
        res = verify(keys, values["webhook-id"], values["webhook-timestamp"],
                     values["webhook-signature"], raw, tolerance, now)
        sig = res.info()
        sig["v1_signatures"] = count_v1(values["webhook-signature"])
        if not res.ok:
            return verdict(401, res.reason, sig=sig)

    ctype = media_type(headers.get("content-type"))
    if fmt == "cloudevents":
        if ctype != "application/cloudevents+json":
            if ctype == "application/cloudevents-batch+json":
                why = "batched content mode is not accepted: one event per request, structured mode"
            elif hdr_values("ce-specversion"):
                why = ("binary content mode (ce-* headers) is not accepted: use structured mode, "
                       "Content-Type application/cloudevents+json")
            else:
                why = ("Content-Type must be application/cloudevents+json (structured mode), "
                       "got %r" % (headers.get("content-type") or ""))
            return verdict(400, why, sig=sig)
    elif ctype != "application/json":
        code = "invalid_payload: " if fmt == "slack" else ""
        return verdict(400, "%sContent-Type must be application/json, got %r"
                       % (code, headers.get("content-type") or ""), sig=sig)

    if json_error is not None:
        code = "invalid_payload: " if fmt == "slack" else ""
        return verdict(400, "%sbody is not valid JSON: %s" % (code, json_error), sig=sig)
    try:
        VALIDATORS[fmt](body)
    except ShapeError as e:
        reason = "%s: %s" % (e.code, e.reason) if e.code else e.reason
        return verdict(400, reason, sig=sig)

    response = None
    if fmt == "pagerduty":
        response = {"status": "success", "message": "Event processed",
                    "dedup_key": body.get("dedup_key") or uuid.uuid4().hex}
        return verdict(202, "accepted", True, sig, response)
    return verdict(200, "accepted", True, sig)


def build_response(fmt, status, reason, response=None):
    """The body a real endpoint of that format would send (plus the reason)."""
    hdrs = [("X-Receiver-Reason", _header_safe(reason))] if status >= 300 else []
    if 200 <= status < 300:
        if fmt == "pagerduty":
            return json_response(status, response or {"status": "success",
                                                      "message": "Event processed"})
        if fmt == "slack":
            return Response(status, b"ok", content_type="text/plain; charset=utf-8")
        if fmt == "alertmanager":
            return Response(status, b"", headers=[("Cache-Control", "no-store")])
        return json_response(status, {"ok": True})
    if fmt == "slack":
        return Response(status, reason, headers=hdrs, content_type="text/plain; charset=utf-8")
    if fmt == "pagerduty" and status == 400:
        return json_response(status, {"status": "invalid event",
                                      "message": "Event object is invalid",
                                      "errors": [reason]}, headers=hdrs)
    if fmt == "alertmanager":
        return json_response(status, reason, headers=hdrs)  # a JSON string, like Alertmanager
    if status == 405:
        hdrs.append(("Allow", "POST"))
    return json_response(status, {"error": reason}, headers=hdrs)


def _header_safe(text):
    return re.sub(r"[^\x20-\x7e]", "?", text)[:300]


# ==========================================================================
# Faults: the fakelib queue with receiver-specific fault types.

FAULT_TYPES = ("status", "redirect", "stall")


def normalize_fault(spec):
    if not isinstance(spec, dict):
        raise fakelib.FaultSpecError("a fault must be a JSON object")
    spec = dict(spec)
    ftype = spec.pop("type", None)
    if ftype not in FAULT_TYPES:
        raise fakelib.FaultSpecError("unknown fault type %r (one of %s)"
                                     % (ftype, ", ".join(FAULT_TYPES)))
    out = {"type": ftype, "count": spec.pop("count", 1)}
    c = out["count"]
    if not isinstance(c, int) or isinstance(c, bool) or c == 0 or c < -1:
        raise fakelib.FaultSpecError("count must be a positive integer or -1 (forever)")
    if ftype == "status":
        out["code"] = spec.pop("code", 503)
        if not isinstance(out["code"], int) or not 200 <= out["code"] <= 599:
            raise fakelib.FaultSpecError("code must be an integer 200..599")
        ra = spec.pop("retry_after", None)
        if ra is not None and not ((isinstance(ra, int) and not isinstance(ra, bool) and ra >= 0)
                                   or (isinstance(ra, str) and ra.strip())):
            raise fakelib.FaultSpecError("retry_after must be a non-negative integer (seconds) "
                                         "or a non-empty string (sent verbatim)")
        out["retry_after"] = ra
    elif ftype == "redirect":
        out["code"] = spec.pop("code", 302)
        if out["code"] not in (301, 302, 303, 307, 308):
            raise fakelib.FaultSpecError("redirect code must be 301, 302, 303, 307 or 308")
        loc = spec.pop("location", None)
        if loc is not None and (not isinstance(loc, str) or not loc):
            raise fakelib.FaultSpecError("location must be a non-empty string")
        out["location"] = loc
    elif ftype == "stall":
        out["seconds"] = spec.pop("seconds", 3600)
        s = out["seconds"]
        if not isinstance(s, (int, float)) or isinstance(s, bool) or s < 0:
            raise fakelib.FaultSpecError("seconds must be a non-negative number")
    if spec:
        raise fakelib.FaultSpecError("unknown keys for %s: %s" % (ftype, ", ".join(sorted(spec))))
    return out


class ReceiverFaults(fakelib.Faults):
    """fakelib's ordered one-shot queue; every webhook request takes from it."""

    _matches = staticmethod(lambda spec, kind: True)

    def configure(self, faults, append=False, defaults=None):
        if not isinstance(faults, list):
            raise fakelib.FaultSpecError("faults must be a JSON array")
        specs = [normalize_fault(f) for f in faults]
        with self.lock:
            if not append:
                self.queue = []
            self.queue.extend(specs)


def parse_fault_body(data):
    """Control body -> (faults, append). Same forms as fakelib's /__fake/faults."""
    if isinstance(data, list):
        return data, False
    if isinstance(data, dict) and "faults" in data:
        return data["faults"], bool(data.get("append", False))
    if isinstance(data, dict) and "type" in data:
        return [data], False
    raise fakelib.FaultSpecError("expected {\"faults\":[...]}")


# ==========================================================================
# Receiver state and control endpoint.


class ReceiverApp(fakelib.VendorApp):
    name = "receiver"

    def __init__(self, args, keys):
        fakelib.VendorApp.__init__(self, args)
        self.format = args.format
        self.tolerance = args.tolerance
        self.keys = keys
        self.lock = threading.Lock()
        self.changed = threading.Condition(self.lock)
        self.deliveries = []
        self.attempts = []
        self.accepted_ids = set()
        self.tries = {}  # webhook-id -> requests seen (attempt numbers)
        self.down = False
        self.down_until = None  # monotonic deadline or None

    # -- down mode
    def is_down(self):
        with self.lock:
            if self.down and self.down_until is not None and time.monotonic() >= self.down_until:
                self.down, self.down_until = False, None
            return self.down

    def set_down(self, down, seconds=None):
        with self.lock:
            self.down = bool(down)
            self.down_until = (time.monotonic() + seconds) if (down and seconds) else None

    def down_state(self):
        self.is_down()
        with self.lock:
            left = None
            if self.down and self.down_until is not None:
                left = round(max(0.0, self.down_until - time.monotonic()), 3)
            return {"down": self.down, "seconds_left": left}

    # -- records
    def record(self, entry, delivery):
        with self.changed:
            wid = entry["headers"].get("webhook-id")
            if wid is not None:
                self.tries[wid] = self.tries.get(wid, 0) + 1
            entry["attempt"] = self.tries.get(wid) if wid is not None else None
            if delivery:
                entry["duplicate"] = (wid in self.accepted_ids) if wid is not None else None
                if wid is not None:
                    self.accepted_ids.add(wid)
            self.attempts.append(entry)
            if delivery:
                self.deliveries.append(entry)
            self.changed.notify_all()

    def _wait_list(self, which, req):
        """GET with ?min=N[&timeout=S]: wait until the list has N entries."""
        try:
            want = int(req.q("min", "0"))
            timeout = min(float(req.q("timeout", "10")), MAX_LONG_POLL)
        except ValueError:
            raise ValueError("min must be an integer and timeout a number")
        deadline = time.monotonic() + timeout
        with self.changed:
            while len(getattr(self, which)) < want:
                left = deadline - time.monotonic()
                if left <= 0 or self.server.stopping.is_set():
                    break
                self.changed.wait(min(left, 0.5))
            return [_public(e) for e in getattr(self, which)]

    def clear(self, deliveries=True, attempts=True):
        with self.changed:
            if deliveries:
                self.deliveries = []
                self.accepted_ids = set()
            if attempts:
                self.attempts = []
                self.tries = {}

    def stats(self):
        with self.lock:
            return {"deliveries": len(self.deliveries), "attempts": len(self.attempts)}

    def config_view(self):
        return {"format": self.format, "tolerance": self.tolerance, "secrets": len(self.keys)}

    def reconfigure(self, cfg):
        allowed = ("format", "secrets", "tolerance")
        unknown = sorted(k for k in cfg if k not in allowed)
        if unknown:
            raise ValueError("unknown config keys: %s" % ", ".join(unknown))
        fmt = cfg.get("format", self.format)
        if fmt not in FORMATS:
            raise ValueError("format must be one of %s" % ", ".join(FORMATS))
        keys = self.keys
        if "secrets" in cfg:
            if not isinstance(cfg["secrets"], list):
                raise ValueError("secrets must be an array of whsec_ strings")
            keys = [decode_secret(s) for s in cfg["secrets"]]
        tol = cfg.get("tolerance", self.tolerance)
        if not isinstance(tol, int) or isinstance(tol, bool) or tol < 0:
            raise ValueError("tolerance must be a non-negative integer (0 = no check)")
        if fmt in SIGNED_FORMATS and not keys:
            raise ValueError("format %s needs at least one secret" % fmt)
        with self.lock:
            self.format, self.keys, self.tolerance = fmt, keys, tol
        return self.config_view()

    # -- control endpoint
    def control(self, req):
        path, m = req.path, req.method
        try:
            data = req.json() if req.body else None
        except ValueError as e:
            return json_response(400, {"error": "invalid JSON: %s" % e})
        srv = self.server
        try:
            if path in ("/__receiver/deliveries", "/__receiver/attempts"):
                which = path.rsplit("/", 1)[1]
                if m == "GET":
                    return json_response(200, self._wait_list(which, req))
                if m == "DELETE":
                    self.clear(deliveries=(which == "deliveries"), attempts=(which == "attempts"))
                    return json_response(200, {"cleared": which})
            elif path == "/__receiver/faults":
                if m == "GET":
                    return json_response(200, srv.faults.snapshot())
                if m == "DELETE":
                    srv.faults.clear()
                    return json_response(200, srv.faults.snapshot())
                if m == "POST":
                    faults, append = parse_fault_body(data)
                    srv.faults.configure(faults, append)
                    return json_response(200, srv.faults.snapshot())
            elif path == "/__receiver/down":
                if m == "GET":
                    return json_response(200, self.down_state())
                if m == "POST":
                    if not isinstance(data, dict) or not isinstance(data.get("down"), bool):
                        return json_response(400, {"error": "expected {\"down\":true|false}"})
                    secs = data.get("seconds")
                    if secs is not None and (not isinstance(secs, (int, float))
                                             or isinstance(secs, bool) or secs <= 0):
                        return json_response(400, {"error": "seconds must be a positive number"})
                    self.set_down(data["down"], secs)
                    return json_response(200, self.down_state())
            elif path == "/__receiver/config":
                if m == "GET":
                    return json_response(200, self.config_view())
                if m == "POST":
                    if not isinstance(data, dict):
                        return json_response(400, {"error": "expected a JSON object"})
                    return json_response(200, self.reconfigure(data))
            elif path == "/__receiver/reset" and m == "POST":
                self.clear()
                srv.faults.clear()
                self.set_down(False)
                return json_response(200, {"reset": True})
            elif path == "/__receiver/stats" and m == "GET":
                with srv._counts_lock:
                    counts = dict(srv.counts)
                counts.update(self.stats())
                counts["faults"] = srv.faults.snapshot()
                counts["down"] = self.down_state()["down"]
                return json_response(200, counts)
            elif path == "/__receiver/health" and m == "GET":
                out = {"ok": True, "port": srv.port, "scheme": srv.scheme}
                out.update(self.config_view())
                out["down"] = self.down_state()["down"]
                return json_response(200, out)
        except (fakelib.FaultSpecError, SecretError, ValueError, KeyError, TypeError) as e:
            return json_response(400, {"error": str(e)})
        return json_response(404, {"error": "unknown control endpoint %s %s" % (m, path)})


def _public(entry):
    """The record without internal fields."""
    return {k: v for k, v in entry.items() if not k.startswith("_")}


RECORDED_HEADERS = ("webhook-id", "webhook-timestamp", "content-type", "content-length",
                    "user-agent", "ce-specversion", "expect", "transfer-encoding")


# ==========================================================================
# HTTP handler and server (fakelib's, with receiver routing).


class ReceiverHandler(fakelib.Handler):
    server_version = "ismsd-receiver"

    def setup(self):
        fakelib.Handler.setup(self)
        self.conn_id = self.server.tl.conn_id

    def _dispatch(self):
        srv, app = self.server, self.server.app
        t0 = time.monotonic()
        try:
            body = self._read_body()
        except (ValueError, OSError) as e:
            self.close_connection = True
            self._send_simple(400, {"error": "bad request body: %s" % e})
            return
        req = fakelib.Request(self, self.command, body)
        req.seq = srv.next_seq()
        try:
            if req.path.startswith(CONTROL_PREFIX) and req.path != REDIRECT_TARGET:
                srv.count("control")
                resp = app.control(req)
                srv.log.write({"time": wall_iso(), "kind": "control", "seq": req.seq,
                               "conn": self.conn_id, "method": req.method, "path": req.path,
                               "status": resp.status})
                self._send(resp)
                return
            srv.count("webhook")
            self._webhook(req, t0)
        except (BrokenPipeError, ConnectionResetError, ssl.SSLError, socket.timeout, OSError):
            self.close_connection = True
        except Exception:  # a bug in the receiver must not kill the server
            traceback.print_exc()
            self.close_connection = True
            try:
                self._send_simple(500, {"error": "receiver internal error"})
            except OSError:
                pass

    def _entry(self, req, t0, fmt):
        hdrs = {}
        for name in RECORDED_HEADERS:
            v = req.headers.get(name)
            if v is not None:
                hdrs[name] = v
        has_auth, scheme = fakelib.auth_summary(req.headers)
        return {"time": wall_iso(), "seq": req.seq, "conn": self.conn_id, "format": fmt,
                "method": req.method, "path": req.path, "query": req.raw_query,
                "headers": hdrs, "has_auth": has_auth, "auth_scheme": scheme,
                "body_bytes": len(req.body), "_t0": t0}

    def _commit(self, entry, kind, delivery):
        """Keep the record in memory, then write the log line (both happen
        before any answer leaves)."""
        entry["elapsed_ms"] = round((time.monotonic() - entry.pop("_t0")) * 1000, 2)
        self.server.app.record(entry, delivery)
        log = dict(entry)
        log["kind"] = kind
        self.server.log.write(log)

    def _webhook(self, req, t0):
        srv, app = self.server, self.server.app
        with app.lock:
            fmt, keys, tolerance = app.format, list(app.keys), app.tolerance
        entry = self._entry(req, t0, fmt)
        if app.is_down():
            try:
                parsed = parse_json_strict(req.body) if req.body else None
            except ValueError:
                parsed = None
            entry.update({"status": None, "accepted": False, "fault": "down", "verdict": None,
                          "reason": "receiver down: connection reset without an answer",
                          "body": parsed})
            self._commit(entry, "down", False)
            self._abort()
            return
        v = check_request(fmt, req.method, req.path, req.headers, req.body, keys, tolerance)
        entry["body"] = v.body
        if v.body_text is not None:
            entry["body_text"] = v.body_text
        if v.sig is not None:
            entry["signature"] = v.sig
        entry["verdict"] = v.reason
        fault = None if req.path == REDIRECT_TARGET else srv.faults.take("api")
        entry["fault"] = fault["type"] if fault else None
        resp = build_response(fmt, v.status, v.reason, v.response)
        status, reason = v.status, v.reason
        if fault and fault["type"] == "status":
            status = fault["code"]
            reason = "injected fault: status %d" % status
            if 200 <= status < 300 and v.ok:
                resp = build_response(fmt, v.status, v.reason, v.response)
                resp.status = status
            else:
                resp = json_response(status, {"error": reason},
                                     headers=[("X-Receiver-Reason", reason)])
            if fault["retry_after"] is not None:
                resp.headers.append(("Retry-After", str(fault["retry_after"])))
                entry["retry_after"] = str(fault["retry_after"])
        elif fault and fault["type"] == "redirect":
            status = fault["code"]
            loc = fault["location"] or "%s://127.0.0.1:%d%s" % (srv.scheme, srv.port,
                                                                 REDIRECT_TARGET)
            reason = "injected fault: redirect %d to %s" % (status, loc)
            resp = json_response(status, {"error": reason},
                                 headers=[("Location", loc), ("X-Receiver-Reason", reason)])
            entry["location"] = loc
        elif fault and fault["type"] == "stall":
            gone, waited = self._stall(fault["seconds"])
            entry["stalled_s"] = round(waited, 3)
            if gone:
                entry.update({"status": None, "accepted": False,
                              "reason": "stall: the client closed the connection after %.1f s"
                              % waited})
                self._commit(entry, "rejected", False)
                self.close_connection = True
                return
        if resp.status in (204, 205, 304):
            resp.body = b""  # these answers have no body
            resp.headers = [(n, val) for n, val in resp.headers if n.lower() != "content-type"]
        accepted = v.ok and 200 <= status < 300
        if accepted and v.response is not None:
            entry["response"] = v.response
        entry.update({"status": status, "accepted": accepted, "reason": reason})
        self._commit(entry, "delivery" if accepted else "rejected", accepted)
        self._send(resp)

    def _stall(self, seconds):
        """Wait `seconds` without answering. Returns (client_gone, waited):
        the wait ends early when the client closes the connection."""
        start = time.monotonic()
        end = start + seconds
        while True:
            left = end - time.monotonic()
            if left <= 0 or self.server.stopping.is_set():
                return False, time.monotonic() - start
            try:
                readable, _, _ = select.select([self.connection], [], [], min(left, 0.25))
            except (OSError, ValueError):
                return True, time.monotonic() - start
            if readable:  # EOF or TLS close_notify: curl does not pipeline requests
                return True, time.monotonic() - start

    def _abort(self):
        """Close the connection with a TCP reset and no answer."""
        self.close_connection = True
        self.server.tl.abort = True


class ReceiverServer(fakelib.FakeServer):
    """fakelib.FakeServer with optional plain HTTP and the down mode."""

    def __init__(self, app, certfile=None, keyfile=None, log_path=None, port=0, verbose=False,
                 plain=False):
        self.app = app
        app.server = self
        self.verbose = verbose
        self.faults = ReceiverFaults()
        self.log = fakelib.RequestLog(log_path)
        self.stopping = threading.Event()
        self._seq = itertools.count(1)
        self._conn = itertools.count(1)
        self._counts_lock = threading.Lock()
        self.counts = {"connections": 0, "webhook": 0, "control": 0, "tls_errors": 0,
                       "down_connections": 0}
        self.tl = threading.local()
        self.ssl_ctx = None
        if not plain:
            ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
            ctx.minimum_version = ssl.TLSVersion.TLSv1_2
            ctx.load_cert_chain(certfile, keyfile)
            ctx.set_alpn_protocols(["http/1.1"])
            self.ssl_ctx = ctx
        self.scheme = "http" if plain else "https"
        http.server.ThreadingHTTPServer.__init__(self, ("127.0.0.1", port), ReceiverHandler)
        self.port = self.server_address[1]

    def finish_request(self, request, client_address):
        conn_id = next(self._conn)
        self.tl.conn_id = conn_id
        self.tl.abort = False
        self.count("connections")
        if self.app.is_down():
            self.count("down_connections")
            self.log.write({"time": wall_iso(), "kind": "down", "conn": conn_id,
                            "reason": "receiver down: new connection reset"})
            _reset(request)
            return
        request.settimeout(30)
        sock = request
        try:
            if self.ssl_ctx is not None:
                try:
                    sock = self.ssl_ctx.wrap_socket(request, server_side=True)
                except (ssl.SSLError, OSError) as e:
                    self.count("tls_errors")
                    self.log.write({"time": wall_iso(), "kind": "tls_error", "conn": conn_id,
                                    "error": str(e)})
                    return
            self.RequestHandlerClass(sock, client_address, self)
        finally:
            if self.tl.abort:
                _reset(sock)
            elif sock is not request:
                try:
                    sock.close()
                except OSError:
                    pass


def _reset(sock):
    """Close with a TCP RST (SO_LINGER 0) and without a TLS close_notify."""
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    except OSError:
        pass
    try:
        sock.close()
    except OSError:
        pass


# ==========================================================================
# Self-test.

VECTOR_SECRET = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
VECTOR_ID = "msg_p5jXN8AQM9LWM0D4loKWxJek"
VECTOR_TS = "1614265330"
VECTOR_BODY = b'{"test": 2432232314}'
VECTOR_SIG = "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="


def selftest():
    results = {"ok": 0, "failed": 0}

    def check(what, cond):
        if cond:
            results["ok"] += 1
        else:
            results["failed"] += 1
            print("FAIL: %s" % what)

    # 1. The published test vector (and the same HMAC written out by hand).
    k = decode_secret(VECTOR_SECRET)
    check("vector key decodes to 24 bytes", len(k) == 24)
    check("vector signature", sign(k, VECTOR_ID, VECTOR_TS, VECTOR_BODY) == VECTOR_SIG)
    manual = base64.b64encode(hmac.new(base64.b64decode("MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"),
                                       b"msg_p5jXN8AQM9LWM0D4loKWxJek.1614265330."
                                       b'{"test": 2432232314}', hashlib.sha256).digest())
    check("vector signature by hand", "v1," + manual.decode() == VECTOR_SIG)
    now = int(VECTOR_TS)
    r = verify([k], VECTOR_ID, VECTOR_TS, VECTOR_SIG, VECTOR_BODY, 300, now)
    check("vector verifies", r.ok and r.matched_secret == 0 and r.matched_signature == 0)
    check("missing padding tolerated", decode_secret(VECTOR_SECRET.rstrip("=")) == k)

    # 2. Tolerance: both directions, boundary inclusive, 0 disables.
    for delta, want in ((300, True), (-300, True), (301, False), (-301, False)):
        r = verify([k], VECTOR_ID, VECTOR_TS, VECTOR_SIG, VECTOR_BODY, 300, now + delta)
        check("tolerance now%+d -> %s (%s)" % (delta, want, r.reason), r.ok == want)
    check("too old says so", "too old" in verify([k], VECTOR_ID, VECTOR_TS, VECTOR_SIG,
                                                 VECTOR_BODY, 300, now + 301).reason)
    check("too new says so", "too new" in verify([k], VECTOR_ID, VECTOR_TS, VECTOR_SIG,
                                                 VECTOR_BODY, 300, now - 301).reason)
    check("tolerance 0 disables the check",
          verify([k], VECTOR_ID, VECTOR_TS, VECTOR_SIG, VECTOR_BODY, 0, now + 10 ** 6).ok)

    # 3. Tampering.
    for what, args in (
            ("body changed", (VECTOR_ID, VECTOR_TS, VECTOR_SIG, b'{"test": 2432232315}')),
            ("body re-serialised", (VECTOR_ID, VECTOR_TS, VECTOR_SIG, b'{"test":2432232314}')),
            ("id changed", ("msg_p5jXN8AQM9LWM0D4loKWxJeK", VECTOR_TS, VECTOR_SIG, VECTOR_BODY)),
            ("timestamp changed", (VECTOR_ID, "1614265331", VECTOR_SIG, VECTOR_BODY)),
            ("signature changed", (VECTOR_ID, VECTOR_TS, VECTOR_SIG[:-2] + "0=", VECTOR_BODY))):
        r = verify([k], args[0], args[1], args[2], args[3], 0, now)
        check("tampered (%s) rejected" % what, not r.ok)
    for what, args, reason in (
            ("no id", (None, VECTOR_TS, VECTOR_SIG), "missing webhook-id"),
            ("no timestamp", (VECTOR_ID, None, VECTOR_SIG), "missing webhook-timestamp"),
            ("no signature", (VECTOR_ID, VECTOR_TS, None), "missing webhook-signature"),
            ("dotted id", ("msg.1", VECTOR_TS, VECTOR_SIG), "must not contain"),
            ("ms timestamp", (VECTOR_ID, VECTOR_TS + "000", VECTOR_SIG), "too new"),
            ("non-integer timestamp", (VECTOR_ID, "1614265330.5", VECTOR_SIG), "not integer"),
            ("only v1a", (VECTOR_ID, VECTOR_TS, "v1a,abc"), "no v1 signature"),
            ("bare value", (VECTOR_ID, VECTOR_TS, VECTOR_SIG[3:]), "no v1 signature")):
        r = verify([k], args[0], args[1], args[2], VECTOR_BODY, 300, now)
        check("%s -> %r (%s)" % (what, reason, r.reason), not r.ok and reason in r.reason)

    import email.message
    m = email.message.Message()
    for name, value in (("Content-Type", "application/json"), ("webhook-id", VECTOR_ID),
                        ("webhook-timestamp", str(int(time.time()))),
                        ("webhook-signature", "v1,AAAA"), ("Webhook-Signature", "v1,BBBB")):
        m[name] = value
    v = check_request("standard", "POST", "/", m, VECTOR_BODY, [k], 300)
    check("duplicate webhook-signature header -> 401 (%s)" % v.reason,
          v.status == 401 and "sent 2 times" in v.reason)

    # 4. Key rotation: old + new signatures; any configured secret may verify.
    new_secret = SECRET_PREFIX + base64.b64encode(
        hashlib.sha256(b"ismsd receiver selftest: rotated key").digest()).decode()
    k2 = decode_secret(new_secret)
    other = decode_secret(SECRET_PREFIX + base64.b64encode(b"\x01" * 32).decode())
    body = b'{"type":"nonconformity.raised","timestamp":"2026-11-24T00:00:00Z","data":{}}'
    ts = str(now)
    hdr = signature_header([k2, k], "msg_rotation", ts, body)
    check("rotation header has two v1 entries", count_v1(hdr) == 2 and hdr.count(" ") == 1)
    for keys, want, idx, pos in (([k2], True, 0, 0), ([k], True, 0, 1), ([other, k], True, 1, 1),
                                 ([k, k2], True, 1, 0), ([other], False, None, None)):
        r = verify(keys, "msg_rotation", ts, hdr, body, 300, now)
        check("rotation keys=%d -> %s" % (len(keys), want),
              r.ok == want and r.matched_secret == idx and r.matched_signature == pos)
    r = verify([k], "msg_rotation", ts, "v1a,xyz  v2,abc v1,!!notbase64 " + hdr, body, 300, now)
    check("unknown versions and malformed entries are skipped", r.ok and r.matched_signature == 4)
    r = verify([other], "msg_rotation", ts, "v1,!!notbase64 " + hdr, body, 300, now)
    check("failure reason counts signatures", not r.ok and "3 v1 signature(s) (1 malformed)"
          in r.reason and "1 secret(s)" in r.reason)
    for bad in ("MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", "whsec_", "whsec_not*base64", "whsec_a"):
        try:
            decode_secret(bad)
            check("bad secret %r rejected" % bad, False)
        except SecretError:
            check("bad secret %r rejected" % bad, True)

    # 5. Whole-request checks (headers + shapes) for every format.
    H = {"content-type": "application/json"}

    def signed_headers(raw, ctype="application/json", key=k, msg_id="msg_1"):
        t = str(int(time.time()))
        return {"content-type": ctype, "webhook-id": msg_id, "webhook-timestamp": t,
                "webhook-signature": sign(key, msg_id, t, raw)}

    std = json.dumps({"type": "nonconformity.raised", "timestamp": "2026-11-24T10:00:00Z",
                      "data": {"id": "nc-1"}}).encode()
    v = check_request("standard", "POST", "/hook", signed_headers(std), std, [k], 300)
    check("standard valid -> 200 (%s)" % v.reason, v.ok and v.status == 200)
    v = check_request("standard", "POST", "/hook", signed_headers(std, key=other), std, [k], 300)
    check("standard wrong key -> 401", v.status == 401 and "no matching" in v.reason)
    v = check_request("standard", "POST", "/hook", H, std, [k], 300)
    check("standard unsigned -> 401", v.status == 401 and "missing webhook-id" in v.reason)
    v = check_request("standard", "GET", "/hook", signed_headers(std), std, [k], 300)
    check("GET -> 405", v.status == 405)
    v = check_request("standard", "POST", "/hook", signed_headers(std, "text/plain"), std, [k], 300)
    check("standard text/plain -> 400", v.status == 400 and "Content-Type" in v.reason)
    ce = json.dumps({"specversion": "1.0", "id": "msg_1", "source": "/ismsd/host1",
                     "type": "org.example.isms.nonconformity.raised",
                     "time": "2026-11-24T10:00:00.123+01:00", "subject": "A.8.8",
                     "datacontenttype": "application/json", "severitytext": "ERROR",
                     "severitynumber": 17, "data": {"x": 1}}).encode()
    v = check_request("cloudevents", "POST", "/", signed_headers(
        ce, "application/cloudevents+json; charset=utf-8"), ce, [k], 300)
    check("cloudevents valid -> 200 (%s)" % v.reason, v.ok)
    v = check_request("cloudevents", "POST", "/", signed_headers(ce), ce, [k], 300)
    check("cloudevents with application/json -> 400", v.status == 400)
    bin_hdrs = signed_headers(b'{"x":1}')
    bin_hdrs["ce-specversion"] = "1.0"
    v = check_request("cloudevents", "POST", "/", bin_hdrs, b'{"x":1}', [k], 300)
    check("cloudevents binary mode -> 400", v.status == 400 and "binary" in v.reason)
    v = check_request("cloudevents", "POST", "/", signed_headers(
        b"[" + ce + b"]", "application/cloudevents-batch+json"), b"[" + ce + b"]", [k], 300)
    check("cloudevents batch -> 400", v.status == 400 and "batched" in v.reason)
    pd = {"routing_key": "R" * 32, "event_action": "trigger", "dedup_key": "nc-1",
          "payload": {"summary": "s", "source": "ismsd", "severity": "error",
                      "timestamp": "2026-11-24T10:00:00Z", "custom_details": {"a": 1}}}
    v = check_request("pagerduty", "POST", "/v2/enqueue", H, json.dumps(pd).encode(), [], 300)
    check("pagerduty valid -> 202", v.ok and v.status == 202
          and v.response["dedup_key"] == "nc-1")
    no_key = dict(pd)
    del no_key["dedup_key"]
    v = check_request("pagerduty", "POST", "/", H, json.dumps(no_key).encode(), [], 300)
    check("pagerduty trigger without dedup_key gets one",
          v.ok and len(v.response["dedup_key"]) == 32)
    v = check_request("slack", "POST", "/services/T/B/X", H, b'{"text":"hi","blocks":'
                      b'[{"type":"section","text":{"type":"mrkdwn","text":"hi"}}]}', [], 300)
    check("slack valid -> 200", v.ok and v.status == 200)
    am = [{"labels": {"alertname": "IsmsNonconformity", "control": "A_8_8"},
           "annotations": {"summary": "s"}, "startsAt": "2026-11-24T10:00:00Z",
           "generatorURL": "https://ismsd.example/nc/1"}]
    v = check_request("alertmanager", "POST", ALERTMANAGER_PATH, H, json.dumps(am).encode(), [],
                      300)
    check("alertmanager valid -> 200", v.ok and v.status == 200)
    v = check_request("alertmanager", "POST", "/api/v1/alerts", H, json.dumps(am).encode(), [], 300)
    check("alertmanager v1 path -> 404", v.status == 404 and "0.27" in v.reason)

    bad_shapes = (
        ("standard", {"type": "raised", "timestamp": "2026-11-24T10:00:00Z", "data": {}}, "dot"),
        ("standard", {"type": "a.b", "timestamp": "2026-11-24 10:00:00", "data": {}}, "RFC 3339"),
        ("standard", {"type": "a.b", "timestamp": "2026-11-24T10:00:00Z", "data": []}, "'data'"),
        ("standard", {"type": "a.b", "timestamp": "2026-11-24T10:00:00Z"}, "'data'"),
        ("standard", {"type": "a.b", "timestamp": "2026-11-24T10:00:00Z", "data": {},
                      "id": "x"}, "unknown member"),
        ("cloudevents", {"specversion": 1.0, "id": "1", "source": "/s", "type": "t"},
         "specversion"),
        ("cloudevents", {"specversion": "1.0", "source": "/s", "type": "t"}, "'id'"),
        ("cloudevents", {"specversion": "1.0", "id": "1", "source": "/s", "type": "t",
                         "time": "yesterday"}, "RFC 3339"),
        ("cloudevents", {"specversion": "1.0", "id": "1", "source": "/s", "type": "t",
                         "dataContentType": "application/json"}, "attribute name"),
        ("cloudevents", {"specversion": "1.0", "id": "1", "source": "/s", "type": "t",
                         "averyveryverylongextension": "x"}, "attribute name"),
        ("cloudevents", {"specversion": "1.0", "id": "1", "source": "/s", "type": "t",
                         "subject": ""}, "'subject'"),
        ("pagerduty", dict(pd, routing_key="short"), "routing_key"),
        ("pagerduty", dict(pd, event_action="create"), "event_action"),
        ("pagerduty", dict(pd, dedup_key="x" * 256), "dedup_key"),
        ("pagerduty", {"routing_key": "R" * 32, "event_action": "resolve"}, "dedup_key"),
        ("pagerduty", dict(pd, payload=dict(pd["payload"], severity="high")), "severity"),
        ("pagerduty", dict(pd, payload=dict(pd["payload"], summary="x" * 1025)), "summary"),
        ("pagerduty", {"routing_key": "R" * 32, "event_action": "trigger"}, "payload"),
        ("pagerduty", dict(pd, dedupe_key="x"), "unknown member"),
        ("slack", {"blocks": [{"type": "section"}]}, "no_text"),
        ("slack", {"text": "  "}, "no_text"),
        ("slack", {"text": "x", "blocks": [{"text": "no type"}]}, "invalid_blocks"),
        ("alertmanager", {"labels": {"alertname": "x"}}, "array"),
        ("alertmanager", [{"labels": {"job": "x"}}], "alertname"),
        ("alertmanager", [{"labels": {"alertname": "x"}, "startsAt": "2026-11-24T10:00:00Z",
                           "endsAt": "2026-11-24T09:00:00Z"}], "before end"),
        ("alertmanager", [{"labels": {"alertname": "x", "bad-name": "y"}}], "invalid name"),
        ("alertmanager", [{"labels": {"alertname": "x"}, "status": "firing"}], "unknown member"))
    for fmt, obj, reason in bad_shapes:
        raw = json.dumps(obj).encode()
        hdrs = (signed_headers(raw, "application/cloudevents+json" if fmt == "cloudevents"
                               else "application/json") if fmt in SIGNED_FORMATS else H)
        path = ALERTMANAGER_PATH if fmt == "alertmanager" else "/"
        v = check_request(fmt, "POST", path, hdrs, raw, [k], 300)
        check("%s bad shape -> 400 %r (got %d %s)" % (fmt, reason, v.status, v.reason),
              v.status == 400 and reason in v.reason)
    v = check_request("slack", "POST", "/", H, b"payload=%7B%7D", [], 300)
    check("slack non-JSON -> invalid_payload", v.status == 400 and "invalid_payload" in v.reason)
    v = check_request("pagerduty", "POST", "/", H, b'{"routing_key": NaN}', [], 300)
    check("NaN is not JSON", v.status == 400 and "not valid JSON" in v.reason)
    for good in ("2026-11-24T10:00:00Z", "2026-11-24t10:00:00.5z", "1985-04-12T23:20:50.52Z",
                 "1996-12-19T16:39:57-08:00", "1990-12-31T23:59:60Z"):
        check("RFC 3339 ok: %s" % good, is_rfc3339(good))
    for bad in ("2026-11-24", "2026-11-24T10:00:00", "2026-02-30T10:00:00Z",
                "2026-11-24T24:00:00Z", "2026-11-24 10:00:00Z", "2026-11-24T10:00Z",
                "2026-11-24T10:00:00+0100", 1732442400):
        check("RFC 3339 rejected: %r" % (bad,), not is_rfc3339(bad))
    # Faults parse like the control endpoint.
    for good in ({"type": "status", "code": 503, "count": 3, "retry_after": 1},
                 {"type": "status", "code": 410}, {"type": "redirect"},
                 {"type": "stall", "seconds": 2}, {"type": "status", "retry_after": "Wed, "
                                                   "21 Oct 2026 07:28:00 GMT", "count": -1}):
        try:
            normalize_fault(good)
            check("fault ok: %s" % good, True)
        except fakelib.FaultSpecError as e:
            check("fault ok: %s (%s)" % (good, e), False)
    for bad in ({"type": "throttle"}, {"type": "status", "code": 99}, {"type": "status",
                                                                       "count": 0},
                {"type": "redirect", "code": 200}, {"type": "stall", "seconds": -1},
                {"type": "status", "retry_after": -1}, {"type": "status", "colour": 1}):
        try:
            normalize_fault(bad)
            check("fault rejected: %s" % bad, False)
        except fakelib.FaultSpecError:
            check("fault rejected: %s" % bad, True)

    print("receiver selftest: %d checks passed, %d failed" % (results["ok"], results["failed"]))
    return 0 if results["failed"] == 0 else 1


# ==========================================================================
# Command line.


def sign_main(argv):
    p = argparse.ArgumentParser(prog="receiver.py sign",
                                description="print Standard Webhooks headers for curl -H")
    p.add_argument("--secret", action="append", required=True,
                   help="whsec_... (repeat for several signatures, as during key rotation)")
    p.add_argument("--id", default=None, help="webhook-id (default: msg_<random>)")
    p.add_argument("--timestamp", default=None, help="Unix seconds (default: now)")
    p.add_argument("--data", required=True, help="the exact body; @FILE reads a file")
    a = p.parse_args(argv)
    try:
        keys = [decode_secret(s) for s in a.secret]
    except SecretError as e:
        p.error(str(e))
    if a.data.startswith("@"):
        with open(a.data[1:], "rb") as f:
            body = f.read()
    else:
        body = a.data.encode("utf-8")
    msg_id = a.id or "msg_" + uuid.uuid4().hex
    ts = a.timestamp or str(int(time.time()))
    print("webhook-id: %s" % msg_id)
    print("webhook-timestamp: %s" % ts)
    print("webhook-signature: %s" % signature_header(keys, msg_id, ts, body))
    return 0


def parse_args(argv):
    p = argparse.ArgumentParser(
        description="Local HTTPS webhook receiver for ismsd integration tests.",
        epilog="Also: receiver.py --selftest; receiver.py sign --help. See README.md.")
    p.add_argument("--selftest", action="store_true",
                   help="run the offline self-test (test vector, rotation, shapes) and exit")
    p.add_argument("--cert", help="server certificate PEM (required unless --http)")
    p.add_argument("--key", help="server private key PEM (required unless --http)")
    p.add_argument("--http", action="store_true",
                   help="serve plain HTTP on 127.0.0.1 instead of HTTPS")
    p.add_argument("--port-file", help="the listening port is written here (atomically) "
                   "once ready (required)")
    p.add_argument("--port", type=int, default=0, help="default 0 = ephemeral")
    p.add_argument("--log", help="append one JSON line per request to this file")
    p.add_argument("--format", choices=FORMATS, default="standard")
    p.add_argument("--secret", action="append", default=[], metavar="whsec_...",
                   help="Standard Webhooks secret; repeatable, any of them may verify "
                   "(required for standard and cloudevents)")
    p.add_argument("--tolerance", type=int, default=300,
                   help="max |webhook-timestamp - wall clock| in seconds (0 = no check)")
    p.add_argument("--faults", metavar="JSON",
                   help="fault list in the control-endpoint format, queued at start-up")
    p.add_argument("--verbose", action="store_true", help="access log on stderr")
    a = p.parse_args(argv)
    if a.selftest:
        return a
    if not a.port_file:
        p.error("--port-file is required")
    if not a.http and not (a.cert and a.key):
        p.error("--cert and --key are required (or --http for plain HTTP)")
    if a.tolerance < 0:
        p.error("--tolerance must be >= 0")
    try:
        a.keys = [decode_secret(s) for s in a.secret]
    except SecretError as e:
        p.error("--secret: %s" % e)
    if a.format in SIGNED_FORMATS and not a.keys:
        p.error("--format %s needs at least one --secret whsec_..." % a.format)
    for s, kb in zip(a.secret, a.keys):
        if not 24 <= len(kb) <= 64:
            sys.stderr.write("receiver.py: warning: a secret decodes to %d bytes; Standard "
                             "Webhooks wants 24..64\n" % len(kb))
    return a


def main(argv):
    if argv[:1] == ["sign"]:
        return sign_main(argv[1:])
    a = parse_args(argv)
    if a.selftest:
        return selftest()
    app = ReceiverApp(a, a.keys)
    try:
        srv = ReceiverServer(app, a.cert, a.key, a.log, a.port, a.verbose, plain=a.http)
        if a.faults:
            srv.faults.configure(*parse_fault_body(json.loads(a.faults)))
    except (OSError, ssl.SSLError, ValueError) as e:
        sys.stderr.write("receiver.py: %s\n" % e)
        return 2
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    signal.signal(signal.SIGUSR1, lambda *_: app.set_down(True))
    signal.signal(signal.SIGUSR2, lambda *_: app.set_down(False))
    srv.write_port_file(a.port_file)
    try:
        srv.serve_forever(poll_interval=0.2)
    except (KeyboardInterrupt, SystemExit):
        pass
    finally:
        srv.stopping.set()
        srv.server_close()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
