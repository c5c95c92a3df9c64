#!/usr/bin/env python3
"""Pure-Python RSA PKCS#1 v1.5 / SHA-256 (RS256) and JWT helpers for the fakes.

The GCP fake uses verify_jwt() to check the service-account JWT a client sends
to the token endpoint: the public key comes from a PEM SubjectPublicKeyInfo
(or PKCS#1 RSAPublicKey) file, the signature is checked by computing
s^e mod n and comparing with the EMSA-PKCS1-v1_5 encoding of the SHA-256
DigestInfo.

Client helper for shell tests (signing uses the PKCS#8 private key, also in
pure Python):
    python3 rs256.py make-jwt --sa-json gcp-sa.json --aud https://127.0.0.1:PORT/token
prints a signed JWT assertion.

    python3 rs256.py --selftest [--key sa.key]
signs/verifies round trips and, when the openssl CLI and a key are at hand,
checks that a signature made by `openssl dgst -sha256 -sign` verifies here.
"""

import argparse
import base64
import hashlib
import hmac
import json
import os
import subprocess
import sys
import tempfile
import time

# DER of DigestInfo for SHA-256 without the hash value (RFC 8017, section 9.2 note 1).
SHA256_DIGESTINFO_PREFIX = bytes.fromhex("3031300d060960864801650304020105000420")
OID_RSA_ENCRYPTION = bytes.fromhex("2a864886f70d010101")


class KeyFormatError(ValueError):
    pass


def _der_read(data, pos):
    """Read one TLV at pos -> (tag, value_start, value_end)."""
    if pos + 2 > len(data):
        raise KeyFormatError("truncated DER")
    tag = data[pos]
    length = data[pos + 1]
    pos += 2
    if length & 0x80:
        nbytes = length & 0x7F
        if nbytes == 0 or nbytes > 4 or pos + nbytes > len(data):
            raise KeyFormatError("bad DER length")
        length = int.from_bytes(data[pos:pos + nbytes], "big")
        pos += nbytes
    if pos + length > len(data):
        raise KeyFormatError("truncated DER value")
    return tag, pos, pos + length


def _der_children(data, start, end):
    out = []
    pos = start
    while pos < end:
        tag, vs, ve = _der_read(data, pos)
        out.append((tag, vs, ve))
        pos = ve
    return out


def _der_int(data, vs, ve):
    return int.from_bytes(data[vs:ve], "big", signed=False)


def pem_to_der(text):
    """-> (label, der bytes) for the first PEM block in text."""
    if isinstance(text, bytes):
        text = text.decode("ascii")
    lines = text.strip().splitlines()
    label, body, inside = None, [], False
    for line in lines:
        line = line.strip()
        if line.startswith("-----BEGIN "):
            label, inside = line[11:].rstrip("-"), True
        elif line.startswith("-----END "):
            break
        elif inside:
            body.append(line)
    if label is None:
        raise KeyFormatError("no PEM block found")
    return label, base64.b64decode("".join(body))


def _rsa_public_from_pkcs1(der, vs, ve):
    kids = _der_children(der, vs, ve)
    if len(kids) < 2 or kids[0][0] != 0x02 or kids[1][0] != 0x02:
        raise KeyFormatError("not an RSAPublicKey")
    return _der_int(der, *kids[0][1:]), _der_int(der, *kids[1][1:])


def load_public_key(pem_text):
    """-> (n, e) from 'PUBLIC KEY' (SubjectPublicKeyInfo) or 'RSA PUBLIC KEY'."""
    label, der = pem_to_der(pem_text)
    tag, vs, ve = _der_read(der, 0)
    if tag != 0x30:
        raise KeyFormatError("expected SEQUENCE")
    if label == "RSA PUBLIC KEY":
        return _rsa_public_from_pkcs1(der, vs, ve)
    if label != "PUBLIC KEY":
        raise KeyFormatError("unsupported PEM label %r" % label)
    kids = _der_children(der, vs, ve)
    if len(kids) != 2 or kids[0][0] != 0x30 or kids[1][0] != 0x03:
        raise KeyFormatError("not a SubjectPublicKeyInfo")
    alg = _der_children(der, kids[0][1], kids[0][2])
    if not alg or alg[0][0] != 0x06 or der[alg[0][1]:alg[0][2]] != OID_RSA_ENCRYPTION:
        raise KeyFormatError("not an RSA key")
    bs, be = kids[1][1], kids[1][2]
    if der[bs] != 0:
        raise KeyFormatError("BIT STRING with unused bits")
    tag, ivs, ive = _der_read(der, bs + 1)
    if tag != 0x30:
        raise KeyFormatError("expected RSAPublicKey SEQUENCE")
    return _rsa_public_from_pkcs1(der, ivs, ive)


def load_private_key(pem_text):
    """-> (n, e, d) from 'PRIVATE KEY' (PKCS#8) or 'RSA PRIVATE KEY' (PKCS#1)."""
    label, der = pem_to_der(pem_text)
    tag, vs, ve = _der_read(der, 0)
    if label == "PRIVATE KEY":
        kids = _der_children(der, vs, ve)
        if len(kids) < 3 or kids[2][0] != 0x04:
            raise KeyFormatError("not a PKCS#8 PrivateKeyInfo")
        alg = _der_children(der, kids[1][1], kids[1][2])
        if der[alg[0][1]:alg[0][2]] != OID_RSA_ENCRYPTION:
            raise KeyFormatError("not an RSA key")
        tag, vs, ve = _der_read(der, kids[2][1])
    elif label != "RSA PRIVATE KEY":
        raise KeyFormatError("unsupported PEM label %r" % label)
    ints = _der_children(der, vs, ve)
    if len(ints) < 4:
        raise KeyFormatError("not an RSAPrivateKey")
    return tuple(_der_int(der, *ints[i][1:]) for i in (1, 2, 3))


def _emsa_pkcs1_v15_sha256(message, k):
    t = SHA256_DIGESTINFO_PREFIX + hashlib.sha256(message).digest()
    if k < len(t) + 11:
        raise ValueError("modulus too short")
    return b"\x00\x01" + b"\xff" * (k - len(t) - 3) + b"\x00" + t


def verify(message, sig, n, e):
    """RSASSA-PKCS1-v1_5 verification with SHA-256. Returns bool."""
    k = (n.bit_length() + 7) // 8
    if len(sig) != k:
        return False
    s = int.from_bytes(sig, "big")
    if s >= n:
        return False
    em = pow(s, e, n).to_bytes(k, "big")
    return hmac.compare_digest(em, _emsa_pkcs1_v15_sha256(message, k))


def sign(message, n, d):
    k = (n.bit_length() + 7) // 8
    m = int.from_bytes(_emsa_pkcs1_v15_sha256(message, k), "big")
    return pow(m, d, n).to_bytes(k, "big")


def b64url(data):
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def b64url_decode(text):
    if isinstance(text, str):
        text = text.encode("ascii")
    return base64.urlsafe_b64decode(text + b"=" * (-len(text) % 4))


class JWTError(ValueError):
    pass


def decode_jwt(token):
    """-> (header dict, claims dict, signing_input bytes, signature bytes)."""
    parts = token.split(".")
    if len(parts) != 3:
        raise JWTError("Invalid JWT: not three segments")
    try:
        header = json.loads(b64url_decode(parts[0]))
        claims = json.loads(b64url_decode(parts[1]))
        sig = b64url_decode(parts[2])
    except (ValueError, UnicodeDecodeError) as e:
        raise JWTError("Invalid JWT: cannot decode (%s)" % e)
    if not isinstance(header, dict) or not isinstance(claims, dict):
        raise JWTError("Invalid JWT: header/claims are not objects")
    return header, claims, (parts[0] + "." + parts[1]).encode("ascii"), sig


def verify_jwt(token, public_key):
    """Check the RS256 signature. Returns (header, claims); raises JWTError."""
    header, claims, signing_input, sig = decode_jwt(token)
    if header.get("alg") != "RS256":
        raise JWTError("Invalid JWT: unsupported alg %r" % header.get("alg"))
    n, e = public_key
    if not verify(signing_input, sig, n, e):
        raise JWTError("Invalid JWT Signature.")
    return header, claims


def make_jwt(claims, private_key, kid=None):
    n, _e, d = private_key
    header = {"alg": "RS256", "typ": "JWT"}
    if kid:
        header["kid"] = kid
    signing_input = (b64url(json.dumps(header, separators=(",", ":")).encode()) + "." +
                     b64url(json.dumps(claims, separators=(",", ":")).encode()))
    return signing_input + "." + b64url(sign(signing_input.encode("ascii"), n, d))


def selftest(key_path=None):
    failures = 0

    def check(what, ok):
        nonlocal failures
        if not ok:
            failures += 1
            print("FAIL", what)

    tmp = None
    if key_path is None:
        tmp = tempfile.mkdtemp(prefix="rs256-")
        key_path = os.path.join(tmp, "k.pem")
        subprocess.run(["openssl", "genpkey", "-algorithm", "RSA", "-pkeyopt",
                        "rsa_keygen_bits:2048", "-out", key_path],
                       check=True, capture_output=True)
    try:
        with open(key_path) as f:
            priv = load_private_key(f.read())
        pub_pem = subprocess.run(["openssl", "pkey", "-in", key_path, "-pubout"],
                                 check=True, capture_output=True).stdout
        pub = load_public_key(pub_pem)
        check("public key matches private key", pub == (priv[0], priv[1]))
        msg = b"ismsd rs256 selftest"
        osig = subprocess.run(["openssl", "dgst", "-sha256", "-sign", key_path],
                              input=msg, check=True, capture_output=True).stdout
        check("openssl signature verifies", verify(msg, osig, *pub))
        check("pure-python signature equals openssl's", sign(msg, priv[0], priv[2]) == osig)
        check("wrong message rejected", not verify(msg + b"x", osig, *pub))
        bad = bytearray(osig)
        bad[-1] ^= 1
        check("flipped bit rejected", not verify(msg, bytes(bad), *pub))
        now = int(time.time())
        tok = make_jwt({"iss": "a@b", "aud": "x", "iat": now, "exp": now + 3600}, priv, "k1")
        h, c = verify_jwt(tok, pub)
        check("jwt round trip", c["iss"] == "a@b" and h["kid"] == "k1")
        try:
            verify_jwt(tok[:-4] + ("AAAA" if not tok.endswith("AAAA") else "BBBB"), pub)
            check("tampered jwt rejected", False)
        except JWTError:
            check("tampered jwt rejected", True)
    finally:
        if tmp:
            for name in os.listdir(tmp):
                os.unlink(os.path.join(tmp, name))
            os.rmdir(tmp)
    print("rs256 selftest: %s" % ("ok" if not failures else "%d failures" % failures))
    return 1 if failures else 0


def main(argv):
    p = argparse.ArgumentParser(description="RS256 helpers for the ismsd fakes")
    p.add_argument("--selftest", action="store_true")
    p.add_argument("--key", help="RSA private key PEM for --selftest")
    sub = p.add_subparsers(dest="cmd")
    m = sub.add_parser("make-jwt", help="print a signed service-account JWT assertion")
    m.add_argument("--sa-json", required=True, help="service-account key file")
    m.add_argument("--aud", help="default: token_uri from the key file")
    m.add_argument("--scope", default="https://www.googleapis.com/auth/logging.read")
    m.add_argument("--iat", type=int, default=None, help="default: now")
    m.add_argument("--lifetime", type=int, default=3600)
    m.add_argument("--iss", default=None, help="default: client_email")
    a = p.parse_args(argv)
    if a.selftest:
        return selftest(a.key)
    if a.cmd != "make-jwt":
        p.print_help()
        return 2
    with open(a.sa_json) as f:
        sa = json.load(f)
    iat = int(time.time()) if a.iat is None else a.iat
    claims = {"iss": a.iss or sa["client_email"], "scope": a.scope,
              "aud": a.aud or sa["token_uri"], "iat": iat, "exp": iat + a.lifetime}
    print(make_jwt(claims, load_private_key(sa["private_key"]), sa.get("private_key_id")))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
