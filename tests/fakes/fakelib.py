"""Shared core of the ismsd HTTPS fakes (Python 3 standard library only).

Provides:
  * FakeServer: ThreadingHTTPServer + TLS (per-connection handshake in the
    worker thread, TLS >= 1.2), HTTP/1.1 keep-alive, bound to 127.0.0.1 on an
    ephemeral port that is written atomically to --port-file once listening;
  * RequestLog: one JSON line per request (never the Authorization value);
  * Faults: fault injection queue, fed by command-line flags and at runtime by
    POST /__fake/faults; applied to API requests (or token requests on demand);
  * PageTokens: opaque, validated pagination tokens;
  * small helpers for deterministic data and time formatting.

A vendor implementation (see fake.py) subclasses VendorApp.
"""

import base64
import calendar
import email.utils
import hashlib
import hmac
import http.server
import itertools
import json
import os
import re
import socket
import ssl
import struct
import sys
import threading
import time
import traceback
import urllib.parse

DEFAULT_NOW = "2026-11-24T00:00:00Z"
MAX_BODY = 16 * 1024 * 1024

# --------------------------------------------------------------------------
# Time helpers. "Fake clock" = the configured --now (data); wall clock = real
# time (used for token expiry, JWT iat/exp and SigV4 skew checks).

_ISO_RE = re.compile(
    r"^(\d{4})-(\d{2})-(\d{2})(?:[T ](\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,9}))?)?)?"
    r"\s*(Z|z|[+-]\d{2}:?\d{2})?$")


def parse_iso8601(text):
    """ISO 8601 / RFC 3339 -> epoch seconds (float). Zone-less means UTC.
    Raises ValueError."""
    m = _ISO_RE.match(text.strip())
    if not m:
        raise ValueError("not an ISO 8601 timestamp: %r" % text)
    y, mo, d, hh, mm, ss, frac, tz = m.groups()
    base = calendar.timegm((int(y), int(mo), int(d), int(hh or 0), int(mm or 0),
                            int(ss or 0), 0, 0, 0))
    if frac:
        base += int(frac) / (10 ** len(frac))
    if tz and tz not in ("Z", "z"):
        sign = 1 if tz[0] == "+" else -1
        digits = tz[1:].replace(":", "")
        base -= sign * (int(digits[:2]) * 3600 + int(digits[2:]) * 60)
    return base


def parse_iso8601_ns(text):
    """Like parse_iso8601 but returns integer nanoseconds (exact)."""
    m = _ISO_RE.match(text.strip())
    if not m:
        raise ValueError("not an ISO 8601 timestamp: %r" % text)
    frac = m.group(7) or ""
    whole = parse_iso8601(text.replace("." + frac, "", 1) if frac else text)
    return int(round(whole)) * 10 ** 9 + (int(frac.ljust(9, "0")) if frac else 0)


def iso_z(epoch, digits=0):
    """epoch seconds (int/float) -> 'YYYY-MM-DDTHH:MM:SS[.fff]Z'."""
    sec = int(epoch // 1)
    s = time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(sec))
    if digits:
        frac = int(round((epoch - sec) * 10 ** digits))
        if frac >= 10 ** digits:  # rounding overflow
            return iso_z(sec + 1, digits)
        s += ".%0*d" % (digits, frac)
    return s + "Z"


def iso_ns(ns, digits=9):
    """integer nanoseconds -> ISO with `digits` fractional digits (truncated)."""
    sec, rem = divmod(ns, 10 ** 9)
    s = time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(sec))
    if digits:
        s += "." + ("%09d" % rem)[:digits]
    return s + "Z"


def http_date(epoch):
    return email.utils.formatdate(epoch, usegmt=True)


def wall_iso():
    return iso_z(time.time(), 3)


# --------------------------------------------------------------------------
# Deterministic data helpers.

def h64(*parts):
    """Stable 64-bit hash of the parts (str() of each)."""
    d = hashlib.blake2b("\x1f".join(str(p) for p in parts).encode(), digest_size=8)
    return int.from_bytes(d.digest(), "big")


def det_hex(n, *parts):
    """n hex chars derived from parts."""
    d = hashlib.blake2b("\x1f".join(str(p) for p in parts).encode(),
                        digest_size=(n + 1) // 2)
    return d.hexdigest()[:n]


def det_uuid(*parts):
    h = det_hex(32, *parts)
    h = h[:12] + "4" + h[13:16] + "89ab"[int(h[16], 16) % 4] + h[17:]
    return "%s-%s-%s-%s-%s" % (h[:8], h[8:12], h[12:16], h[16:20], h[20:32])


def fingerprint(obj):
    """Stable short hash of request parameters (for page-token validation)."""
    return hashlib.sha256(json.dumps(obj, sort_keys=True, default=str).encode()).digest()[:8]


class TokenError(ValueError):
    pass


class PageTokens:
    """Opaque pagination tokens: base64url(version, cursor, flags, params-fp, mac).
    parse() rejects tokens that were forged or minted for other parameters."""

    _FMT = ">BQB8s"

    def __init__(self, key):
        self.key = key.encode() if isinstance(key, str) else key

    def make(self, cursor, fp, flags=0):
        body = struct.pack(self._FMT, 1, cursor, flags, fp)
        mac = hmac.new(self.key, body, hashlib.sha256).digest()[:10]
        return base64.urlsafe_b64encode(body + mac).decode().rstrip("=")

    def parse(self, token, fp):
        """-> (cursor, flags); raises TokenError."""
        try:
            raw = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4))
        except (ValueError, TypeError):
            raise TokenError("undecodable token")
        size = struct.calcsize(self._FMT)
        if len(raw) != size + 10:
            raise TokenError("bad token length")
        body, mac = raw[:size], raw[size:]
        if not hmac.compare_digest(mac, hmac.new(self.key, body, hashlib.sha256).digest()[:10]):
            raise TokenError("token signature mismatch")
        ver, cursor, flags, tfp = struct.unpack(self._FMT, body)
        if ver != 1:
            raise TokenError("bad token version")
        if tfp != fp:
            raise TokenError("token was issued for different request parameters")
        return cursor, flags


# --------------------------------------------------------------------------
# Request / response objects.

class Request:
    def __init__(self, handler, method, body):
        self.method = method
        self.target = handler.path
        split = urllib.parse.urlsplit(handler.path)
        self.path = split.path or "/"
        self.raw_query = split.query
        self.query = urllib.parse.parse_qs(split.query, keep_blank_values=True)
        self.headers = handler.headers  # email.message.Message (case-insensitive)
        self.header_list = list(handler.headers.items())
        self.body = body
        self.conn = handler.conn_id
        self.seq = None
        self.server = handler.server
        self.log_extra = {}
        self.kind = None

    def q(self, name, default=None):
        vals = self.query.get(name)
        return vals[0] if vals else default

    def header(self, name, default=None):
        return self.headers.get(name, default)

    def json(self):
        """Parsed JSON body (None for an empty body); raises ValueError."""
        if not self.body:
            return None
        return json.loads(self.body.decode("utf-8"))

    def form(self):
        return urllib.parse.parse_qs(self.body.decode("utf-8", "replace"),
                                     keep_blank_values=True)

    def bearer(self):
        auth = self.headers.get("Authorization") or ""
        if auth[:7].lower() == "bearer ":
            return auth[7:].strip()
        return None


class Response:
    """status, headers (list of (name, value)), body bytes. For streaming
    responses set `stream` to an iterator of bytes and `length` to the declared
    Content-Length (None = chunked transfer encoding)."""

    def __init__(self, status, body=b"", headers=None, content_type=None):
        self.status = status
        if isinstance(body, (dict, list)):
            body = json.dumps(body, separators=(",", ":")).encode("utf-8")
            content_type = content_type or "application/json"
        elif isinstance(body, str):
            body = body.encode("utf-8")
        self.body = body
        self.headers = list(headers or [])
        if content_type:
            self.headers.append(("Content-Type", content_type))
        self.stream = None
        self.length = None
        self.log = {}


def json_response(status, obj, content_type="application/json", headers=None):
    return Response(status, json.dumps(obj, separators=(",", ":")).encode("utf-8"),
                    headers=headers, content_type=content_type)


# --------------------------------------------------------------------------
# Fault injection.

FAULT_TYPES = ("throttle", "error5xx", "truncate", "stall", "oversize", "loop",
               "redirect_http", "redirect_host")
SCOPES = ("api", "token", "any")


class FaultSpecError(ValueError):
    pass


def normalize_fault(spec, defaults=None):
    """Validate one fault object; returns a normalized dict."""
    if not isinstance(spec, dict):
        raise FaultSpecError("a fault must be a JSON object")
    spec = dict(spec)
    ftype = spec.pop("type", None)
    if ftype not in FAULT_TYPES:
        raise FaultSpecError("unknown fault type %r (one of %s)" % (ftype, ", ".join(FAULT_TYPES)))
    out = {"type": ftype,
           "count": spec.pop("count", -1 if ftype == "loop" else 1),
           "scope": spec.pop("scope", "api")}
    if not isinstance(out["count"], int) or out["count"] == 0 or out["count"] < -1:
        raise FaultSpecError("count must be a positive integer or -1 (forever)")
    if out["scope"] not in SCOPES:
        raise FaultSpecError("scope must be one of %s" % ", ".join(SCOPES))
    defaults = defaults or {}
    if ftype == "throttle":
        out["retry_after_seconds"] = spec.pop("retry_after_seconds", None)
        out["retry_after_date"] = bool(spec.pop("retry_after_date", False))
        ras = out["retry_after_seconds"]
        if ras is not None and (not isinstance(ras, int) or ras < 0):
            raise FaultSpecError("retry_after_seconds must be a non-negative integer")
    elif ftype == "error5xx":
        out["code"] = spec.pop("code", 503)
        if not isinstance(out["code"], int) or not 500 <= out["code"] <= 599:
            raise FaultSpecError("code must be 500..599")
    if ftype in ("truncate", "stall"):
        out["abort"] = bool(spec.pop("abort", False))
    if ftype == "stall":
        out["seconds"] = spec.pop("seconds", defaults.get("stall_seconds", 3600))
        if not isinstance(out["seconds"], (int, float)) or out["seconds"] < 0:
            raise FaultSpecError("seconds must be a non-negative number")
    elif ftype == "oversize":
        out["bytes"] = spec.pop("bytes", None)
        out["mode"] = spec.pop("mode", "chunked")
        if not isinstance(out["bytes"], int) or out["bytes"] <= 0:
            raise FaultSpecError("oversize needs bytes > 0")
        if out["mode"] not in ("chunked", "length"):
            raise FaultSpecError("mode must be 'chunked' or 'length'")
    if spec:
        raise FaultSpecError("unknown keys for %s: %s" % (ftype, ", ".join(sorted(spec))))
    return out


class Faults:
    """Ordered queue of one-shot faults plus the pagination 'loop' mode.
    take(kind) returns the first queued fault whose scope matches the request
    kind ('api' or 'token') and uses one of its count."""

    def __init__(self):
        self.lock = threading.Lock()
        self.queue = []
        self.loop = None
        self.applied = {}

    def configure(self, faults, append=False, defaults=None):
        specs = [normalize_fault(f, defaults) for f in faults]
        with self.lock:
            if not append:
                self.queue, self.loop = [], None
            for s in specs:
                if s["type"] == "loop":
                    self.loop = s
                else:
                    self.queue.append(s)

    def clear(self):
        with self.lock:
            self.queue, self.loop = [], None

    @staticmethod
    def _matches(spec, kind):
        return spec["scope"] == "any" or spec["scope"] == kind

    def take(self, kind):
        with self.lock:
            for spec in self.queue:
                if self._matches(spec, kind):
                    if spec["count"] > 0:
                        spec["count"] -= 1
                        if spec["count"] == 0:
                            self.queue.remove(spec)
                    self.applied[spec["type"]] = self.applied.get(spec["type"], 0) + 1
                    return dict(spec)
        return None

    def take_loop(self, kind="api"):
        """Called by the pagination code of a vendor: True = answer with the
        same next token / next link / page again."""
        with self.lock:
            spec = self.loop
            if spec is None or not self._matches(spec, kind):
                return False
            if spec["count"] > 0:
                spec["count"] -= 1
                if spec["count"] == 0:
                    self.loop = None
            self.applied["loop"] = self.applied.get("loop", 0) + 1
            return True

    def snapshot(self):
        with self.lock:
            out = [dict(s) for s in self.queue]
            if self.loop:
                out.append(dict(self.loop))
            return {"faults": out, "applied": dict(self.applied)}


def add_fault_args(p):
    g = p.add_argument_group("fault injection (also at runtime: POST /__fake/faults)")
    g.add_argument("--faults", metavar="JSON",
                   help="fault list in the control-endpoint format, queued first")
    g.add_argument("--throttle", type=int, metavar="N",
                   help="next N requests get the vendor's throttling answer")
    g.add_argument("--retry-after-seconds", type=int, metavar="S",
                   help="Retry-After value (seconds) for --throttle (default 1)")
    g.add_argument("--retry-after-date", action="store_true",
                   help="send Retry-After as an HTTP-date (now + seconds)")
    g.add_argument("--error5xx", type=int, metavar="N", help="next N requests answer 5xx")
    g.add_argument("--error5xx-code", type=int, default=503, metavar="CODE")
    g.add_argument("--redirect-http", type=int, nargs="?", const=1, metavar="N",
                   help="next N requests answer 302 to http://127.0.0.1:PORT/...")
    g.add_argument("--redirect-host", type=int, nargs="?", const=1, metavar="N",
                   help="next N requests answer 302 to https://another-host.invalid/...")
    g.add_argument("--truncate", type=int, nargs="?", const=1, metavar="N",
                   help="next N responses are cut after half the declared body")
    g.add_argument("--stall", type=int, nargs="?", const=1, metavar="N",
                   help="next N responses stop after the headers and a few bytes")
    g.add_argument("--stall-seconds", type=float, default=3600.0, metavar="S")
    g.add_argument("--oversize", type=int, metavar="BYTES",
                   help="next response is a streamed JSON body of BYTES bytes")
    g.add_argument("--oversize-mode", choices=("chunked", "length"), default="chunked",
                   help="chunked transfer (default) or a declared Content-Length")
    g.add_argument("--loop", action="store_true",
                   help="pagination repeats the same next token / link forever")
    g.add_argument("--fault-scope", choices=SCOPES, default="api",
                   help="which requests the flag faults hit (default: api)")


def faults_from_args(a):
    out = []
    if a.faults:
        parsed = json.loads(a.faults)
        out.extend(parsed["faults"] if isinstance(parsed, dict) else parsed)
    sc = a.fault_scope
    if a.throttle:
        f = {"type": "throttle", "count": a.throttle, "scope": sc,
             "retry_after_date": a.retry_after_date}
        if a.retry_after_seconds is not None:
            f["retry_after_seconds"] = a.retry_after_seconds
        out.append(f)
    if a.error5xx:
        out.append({"type": "error5xx", "count": a.error5xx, "code": a.error5xx_code, "scope": sc})
    if a.redirect_http:
        out.append({"type": "redirect_http", "count": a.redirect_http, "scope": sc})
    if a.redirect_host:
        out.append({"type": "redirect_host", "count": a.redirect_host, "scope": sc})
    if a.truncate:
        out.append({"type": "truncate", "count": a.truncate, "scope": sc})
    if a.stall:
        out.append({"type": "stall", "count": a.stall, "seconds": a.stall_seconds, "scope": sc})
    if a.oversize:
        out.append({"type": "oversize", "bytes": a.oversize, "mode": a.oversize_mode, "scope": sc})
    if a.loop:
        out.append({"type": "loop", "count": -1, "scope": sc})
    return out


# --------------------------------------------------------------------------
# Request log.

LOGGED_HEADERS = ("host", "content-type", "content-length", "transfer-encoding",
                  "accept", "accept-encoding", "user-agent", "connection", "expect",
                  "x-amz-target", "x-amz-date", "x-amz-content-sha256", "api-version")


class RequestLog:
    def __init__(self, path):
        self.lock = threading.Lock()
        self.fh = open(path, "a", encoding="utf-8") if path else None

    def write(self, entry):
        if not self.fh:
            return
        line = json.dumps(entry, separators=(",", ":"), sort_keys=False) + "\n"
        with self.lock:
            self.fh.write(line)
            self.fh.flush()


def auth_summary(headers):
    """-> (has_auth, scheme) without ever exposing the credential."""
    auth = headers.get("Authorization")
    if not auth:
        return False, None
    return True, auth.strip().split(" ", 1)[0][:40]


# --------------------------------------------------------------------------
# Vendor base class.

class VendorApp:
    """Subclass per vendor. classify() says whether a request is an 'api' or
    'token' request (faults count only those); handle() answers it."""

    name = "vendor"
    json_type = "application/json"

    def __init__(self, args):
        self.args = args
        self.server = None

    # -- routing
    def classify(self, req):
        return "api"

    def handle(self, req):
        return json_response(404, {"message": "not found"})

    # -- fault answers (override for vendor shapes)
    def throttle_response(self, req, fault):
        r = json_response(429, {"message": "Too Many Requests"}, self.json_type)
        self.add_retry_after(r, fault, always=True)
        return r

    def error_response(self, req, code):
        return json_response(code, {"message": "Service Unavailable"}, self.json_type)

    def oversize_parts(self, req):
        """(prefix, one item, suffix) for the streamed oversize body."""
        return b'{"items":[', b'{"id":1,"name":"padding"}', b"]}"

    # -- runtime reconfiguration and stats
    def reconfigure(self, cfg):
        raise ValueError("this vendor has no runtime configuration")

    def expire_tokens(self):
        return 0

    def stats(self):
        return {}

    def add_retry_after(self, resp, fault, always=False):
        secs = fault.get("retry_after_seconds")
        if secs is None and not always and not fault.get("retry_after_date"):
            return
        secs = 1 if secs is None else secs
        if fault.get("retry_after_date"):
            resp.headers.append(("Retry-After", http_date(time.time() + secs)))
        else:
            resp.headers.append(("Retry-After", str(secs)))


# --------------------------------------------------------------------------
# HTTP handler and server.

class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "ismsd-fake"
    sys_version = ""
    timeout = 120  # idle keep-alive connections are closed after this
    disable_nagle_algorithm = True
    wbufsize = 1 << 16  # buffered: headers and body leave in as few TLS records as possible

    def setup(self):
        self.conn_id = getattr(self.request, "ismsd_conn_id", 0)
        http.server.BaseHTTPRequestHandler.setup(self)

    def handle_expect_100(self):
        ok = http.server.BaseHTTPRequestHandler.handle_expect_100(self)
        self.wfile.flush()  # wfile is buffered
        return ok

    def log_message(self, fmt, *args):
        if self.server.verbose:
            sys.stderr.write("%s: %s\n" % (self.server.app.name, fmt % args))

    def do_GET(self):
        self._dispatch()

    do_POST = do_PUT = do_DELETE = do_PATCH = do_HEAD = do_OPTIONS = do_GET

    # -- body
    def _read_body(self):
        te = (self.headers.get("Transfer-Encoding") or "").lower()
        if "chunked" in te:
            chunks, total = [], 0
            while True:
                line = self.rfile.readline(1024)
                if not line:
                    raise ValueError("eof in chunked body")
                size = int(line.split(b";")[0].strip() or b"0", 16)
                if size == 0:
                    while self.rfile.readline(1024) not in (b"\r\n", b"\n", b""):
                        pass
                    break
                total += size
                if total > MAX_BODY:
                    raise ValueError("body too large")
                chunks.append(self.rfile.read(size))
                self.rfile.readline(1024)
            return b"".join(chunks)
        length = self.headers.get("Content-Length")
        if length is None:
            return b""
        n = int(length)
        if n < 0 or n > MAX_BODY:
            raise ValueError("bad Content-Length")
        return self.rfile.read(n)

    def _dispatch(self):
        srv = self.server
        t0 = time.monotonic()
        try:
            body = self._read_body()
        except (ValueError, OSError) as e:
            self.close_connection = True
            self._send_simple(400, {"message": "bad request body: %s" % e})
            return
        req = Request(self, self.command, body)
        req.seq = srv.next_seq()
        fault = None
        try:
            if req.path.startswith("/__fake/"):
                req.kind = "control"
                srv.count(req.kind)
                resp = srv.control(req)
            else:
                req.kind = srv.app.classify(req) or "other"
                srv.count(req.kind)
                if req.kind in ("api", "token"):
                    fault = srv.faults.take(req.kind)
                resp = self._apply_fault(req, fault) if fault else srv.app.handle(req)
        except Exception:  # a bug in a fake must not kill the server
            traceback.print_exc()
            resp = json_response(500, {"message": "fake internal error"})
        entry = self._log_entry(req, resp, fault, t0)
        ftype = fault["type"] if fault else None
        try:
            if ftype in ("truncate", "stall"):
                self._send_broken(req, resp, fault, entry)
            elif resp.stream is not None:
                self._send_stream(resp, entry)
            else:
                # Log first: once a client has the answer, its log line exists.
                srv.log.write(entry)
                self._send(resp)
        except (BrokenPipeError, ConnectionResetError, ssl.SSLError, socket.timeout, OSError):
            self.close_connection = True

    def _apply_fault(self, req, fault):
        app, t = self.server.app, fault["type"]
        if t == "throttle":
            return app.throttle_response(req, fault)
        if t == "error5xx":
            return app.error_response(req, fault["code"])
        if t in ("redirect_http", "redirect_host"):
            host = ("http://127.0.0.1:%d" % self.server.port if t == "redirect_http"
                    else "https://another-host.invalid")
            loc = host + self.path
            r = json_response(302, {"message": "Found", "location": loc})
            r.headers.append(("Location", loc))
            return r
        if t == "oversize":
            return self._oversize(req, fault)
        return app.handle(req)  # truncate / stall: real answer, broken delivery

    def _oversize(self, req, fault):
        """Stream prefix + item (+ ',' + item)* + padding + suffix, exactly
        fault['bytes'] bytes, in ~64 KiB pieces; nothing big is held in memory."""
        prefix, item, suffix = self.server.app.oversize_parts(req)
        total = fault["bytes"]

        def gen():
            budget = total - len(prefix) - len(suffix)
            if budget < len(item):
                yield (prefix + b" " * max(budget, 0) + suffix)[:total]
                return
            yield prefix + item
            budget -= len(item)
            unit = b"," + item
            block = unit * max(1, 65536 // len(unit))
            while budget >= len(block):
                yield block
                budget -= len(block)
            n = budget // len(unit)
            if n:
                yield unit * n
                budget -= n * len(unit)
            if budget:
                yield b" " * budget
            yield suffix

        r = Response(200, b"", content_type=self.server.app.json_type)
        r.stream = gen()
        r.length = total if fault["mode"] == "length" else None
        return r

    def _log_entry(self, req, resp, fault, t0):
        has_auth, scheme = auth_summary(req.headers)
        hdrs = {}
        for name in LOGGED_HEADERS:
            v = req.headers.get(name)
            if v is not None:
                hdrs[name] = v
        if req.headers.get("X-Amz-Security-Token") is not None:
            hdrs["x-amz-security-token"] = "<present>"
        entry = {
            "ts": wall_iso(), "vendor": self.server.app.name, "seq": req.seq,
            "conn": self.conn_id, "kind": req.kind, "method": req.method,
            "path": req.path, "query": req.raw_query, "headers": hdrs,
            "has_auth": has_auth, "auth_scheme": scheme, "body_bytes": len(req.body),
            "status": resp.status, "fault": fault["type"] if fault else None,
        }
        entry.update(req.log_extra)
        entry.update(resp.log)
        entry["elapsed_ms"] = round((time.monotonic() - t0) * 1000, 2)
        return entry

    def _write_headers(self, resp, length=None, chunked=False):
        self.send_response(resp.status)
        for name, value in resp.headers:
            self.send_header(name, value)
        if chunked:
            self.send_header("Transfer-Encoding", "chunked")
        else:
            self.send_header("Content-Length", str(len(resp.body) if length is None else length))
        if self.close_connection:
            self.send_header("Connection", "close")
        self.end_headers()

    def _send(self, resp):
        self._write_headers(resp)
        if self.command != "HEAD":
            self.wfile.write(resp.body)
        self.wfile.flush()

    def _send_simple(self, status, obj):
        self._send(json_response(status, obj))

    def _send_stream(self, resp, entry):
        chunked = resp.length is None
        self.server.log.write(entry)
        self._write_headers(resp, length=resp.length, chunked=chunked)
        self.wfile.flush()
        for piece in resp.stream:
            if not piece:
                continue
            if chunked:
                self.wfile.write(b"%x\r\n" % len(piece) + piece + b"\r\n")
            else:
                self.wfile.write(piece)
        if chunked:
            self.wfile.write(b"0\r\n\r\n")
        self.wfile.flush()

    def _send_broken(self, req, resp, fault, entry):
        body = resp.body
        self.close_connection = True
        resp.headers = [(n, v) for n, v in resp.headers if n.lower() != "connection"]
        # Declare the full length but never deliver all of it.
        self.send_response(resp.status)
        for name, value in resp.headers:
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if fault["type"] == "truncate":
            part = body[:len(body) // 2]
        else:
            part = body[:min(16, len(body) // 2)]
        entry["bytes_sent"] = len(part)
        self.server.log.write(entry)
        self.wfile.write(part)
        self.wfile.flush()
        if fault["type"] == "stall":
            self.server.stopping.wait(fault["seconds"])
        try:
            if fault.get("abort"):
                # TCP-level close without a TLS close_notify.
                self.connection.shutdown(socket.SHUT_RDWR)
            else:
                # Clean TLS close: the client sees EOF before Content-Length bytes.
                self.connection.settimeout(2)
                self.connection.unwrap()
        except (OSError, ValueError):
            pass


class FakeServer(http.server.ThreadingHTTPServer):
    daemon_threads = True
    block_on_close = False
    allow_reuse_address = True
    request_queue_size = 64

    def __init__(self, app, certfile, keyfile, log_path=None, port=0, verbose=False):
        self.app = app
        app.server = self
        self.verbose = verbose
        self.faults = Faults()
        self.log = RequestLog(log_path)
        self.stopping = threading.Event()
        self._seq = itertools.count(1)
        self._conn = itertools.count(1)
        self._counts_lock = threading.Lock()
        self.counts = {"api": 0, "token": 0, "control": 0, "other": 0, "tls_errors": 0}
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        ctx.minimum_version = ssl.TLSVersion.TLSv1_2
        ctx.load_cert_chain(certfile, keyfile)
        ctx.set_alpn_protocols(["http/1.1"])
        self.ssl_ctx = ctx
        http.server.ThreadingHTTPServer.__init__(self, ("127.0.0.1", port), Handler)
        self.port = self.server_address[1]

    def next_seq(self):
        return next(self._seq)

    def count(self, kind):
        with self._counts_lock:
            self.counts[kind] = self.counts.get(kind, 0) + 1

    def finish_request(self, request, client_address):
        """Runs in the per-connection thread: TLS handshake here, so a slow or
        failing client never blocks accept()."""
        request.settimeout(30)
        conn_id = next(self._conn)
        try:
            tls = self.ssl_ctx.wrap_socket(request, server_side=True)
        except (ssl.SSLError, OSError) as e:
            self.count("tls_errors")
            self.log.write({"ts": wall_iso(), "vendor": self.app.name, "kind": "tls_error",
                            "conn": conn_id, "error": str(e)})
            return
        tls.ismsd_conn_id = conn_id
        try:
            self.RequestHandlerClass(tls, client_address, self)
        finally:
            try:
                tls.close()
            except OSError:
                pass

    def handle_error(self, request, client_address):
        if self.verbose:
            traceback.print_exc()

    # -- control endpoint
    def control(self, req):
        path, m = req.path, req.method
        try:
            data = req.json() if req.body else None
        except ValueError as e:
            return json_response(400, {"error": "invalid JSON: %s" % e})
        try:
            if path == "/__fake/faults":
                if m == "GET":
                    return json_response(200, self.faults.snapshot())
                if m == "DELETE":
                    self.faults.clear()
                    return json_response(200, self.faults.snapshot())
                if m == "POST":
                    if isinstance(data, list):
                        faults, append = data, False
                    elif isinstance(data, dict) and "faults" in data:
                        faults, append = data["faults"], bool(data.get("append", False))
                    elif isinstance(data, dict) and "type" in data:
                        faults, append = [data], False
                    else:
                        return json_response(400, {"error": "expected {\"faults\":[...]}"})
                    self.faults.configure(faults, append,
                                          {"stall_seconds": self.app.args.stall_seconds})
                    return json_response(200, self.faults.snapshot())
            elif path == "/__fake/stats" and m == "GET":
                with self._counts_lock:
                    counts = dict(self.counts)
                counts.update(self.app.stats())
                counts["faults"] = self.faults.snapshot()
                return json_response(200, counts)
            elif path == "/__fake/config" and m == "POST":
                if not isinstance(data, dict):
                    return json_response(400, {"error": "expected a JSON object"})
                return json_response(200, self.app.reconfigure(data))
            elif path == "/__fake/tokens/expire" and m == "POST":
                return json_response(200, {"expired": self.app.expire_tokens()})
            elif path == "/__fake/health" and m == "GET":
                return json_response(200, {"ok": True, "vendor": self.app.name,
                                           "port": self.port})
        except (FaultSpecError, ValueError, KeyError, TypeError) as e:
            return json_response(400, {"error": str(e)})
        return json_response(404, {"error": "unknown control endpoint %s %s" % (m, path)})

    def write_port_file(self, path):
        tmp = "%s.tmp.%d" % (path, os.getpid())
        with open(tmp, "w") as f:
            f.write("%d\n" % self.port)
        os.replace(tmp, path)


def add_common_args(p):
    p.add_argument("--cert", required=True, help="server certificate PEM")
    p.add_argument("--key", required=True, help="server private key PEM")
    p.add_argument("--port-file", required=True,
                   help="the listening port is written here (atomically) once ready")
    p.add_argument("--port", type=int, default=0, help="default 0 = ephemeral")
    p.add_argument("--log", help="append one JSON line per request to this file")
    p.add_argument("--verbose", action="store_true", help="access log on stderr")
    add_fault_args(p)


def serve(app, args):
    import signal
    srv = FakeServer(app, args.cert, args.key, args.log, args.port, args.verbose)
    srv.faults.configure(faults_from_args(args), defaults={"stall_seconds": args.stall_seconds})
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    srv.write_port_file(args.port_file)
    try:
        srv.serve_forever(poll_interval=0.2)
    except (KeyboardInterrupt, SystemExit):
        pass
    finally:
        srv.stopping.set()
        srv.server_close()
    return 0
