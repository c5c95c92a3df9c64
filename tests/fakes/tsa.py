#!/usr/bin/env python3
"""tsa.py: a local RFC 3161 time-stamping authority for the tests.

It answers POST / (Content-Type: application/timestamp-query, a DER
TimeStampReq) over HTTPS with a TimeStampResp made by `openssl ts -reply`
(Content-Type: application/timestamp-reply), signed with --tsa-cert/--tsa-key
(a certificate with the critical extended key usage timeStamping).  Anything
else gets 400 or 415.  Each request is counted; GET /__tsa/count returns it.

usage: tsa.py --cert SERVER.pem --key SERVER.key --tsa-cert TSA.pem
              --tsa-key TSA.key --chain CA.pem --port-file FILE
"""
import argparse
import http.server
import os
import ssl
import subprocess
import sys
import tempfile
import threading

CONFIG = """[ tsa ]
default_tsa = ismsd_test_tsa
[ ismsd_test_tsa ]
serial = %(dir)s/serial
crypto_device = builtin
signer_digest = sha256
default_policy = 1.3.6.1.4.1.99999.1
digests = sha256, sha384, sha512
accuracy = secs:1
ordering = yes
tsa_name = yes
ess_cert_id_chain = no
ess_cert_id_alg = sha256
"""


def main():
    ap = argparse.ArgumentParser()
    for a in ("--cert", "--key", "--tsa-cert", "--tsa-key", "--chain", "--port-file"):
        ap.add_argument(a, required=True)
    args = ap.parse_args()
    work = tempfile.mkdtemp(prefix="tsa-")
    with open(os.path.join(work, "serial"), "w") as f:
        f.write("01\n")
    conf = os.path.join(work, "tsa.cnf")
    with open(conf, "w") as f:
        f.write(CONFIG % {"dir": work})
    lock = threading.Lock()
    state = {"count": 0}

    class Handler(http.server.BaseHTTPRequestHandler):
        def log_message(self, fmt, *a):
            sys.stderr.write("tsa: " + (fmt % a) + "\n")

        def reply(self, code, body, ctype="text/plain"):
            self.send_response(code)
            self.send_header("Content-Type", ctype)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def do_GET(self):
            if self.path == "/__tsa/count":
                return self.reply(200, str(state["count"]).encode())
            return self.reply(404, b"not found\n")

        def do_POST(self):
            n = int(self.headers.get("Content-Length", "0"))
            body = self.rfile.read(n)
            if self.headers.get("Content-Type", "").split(";")[0].strip() != "application/timestamp-query":
                return self.reply(415, b"want application/timestamp-query\n")
            with lock:
                state["count"] += 1
                q = os.path.join(work, "req.tsq")
                out = os.path.join(work, "resp.tsr")
                with open(q, "wb") as f:
                    f.write(body)
                r = subprocess.run(["openssl", "ts", "-reply", "-config", conf, "-queryfile", q,
                                    "-signer", args.tsa_cert, "-inkey", args.tsa_key, "-chain", args.chain,
                                    "-out", out], capture_output=True)
                if r.returncode != 0:
                    return self.reply(400, b"bad request: " + r.stderr[-300:])
                with open(out, "rb") as f:
                    data = f.read()
            return self.reply(200, data, "application/timestamp-reply")

    srv = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(args.cert, args.key)
    srv.socket = ctx.wrap_socket(srv.socket, server_side=True)
    tmp = args.port_file + ".tmp"
    with open(tmp, "w") as f:
        f.write("%d\n" % srv.server_address[1])
    os.rename(tmp, args.port_file)
    try:
        srv.serve_forever()
    except KeyboardInterrupt:
        pass


if __name__ == "__main__":
    main()
