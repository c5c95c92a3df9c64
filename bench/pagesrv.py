#!/usr/bin/env python3
"""bench/pagesrv.py: the page server of `make bench` (issue #9).

A lean HTTPS server on 127.0.0.1 that serves one vendor API's pages, made
once at start from a fixed seed and kept in memory as encoded bytes, so that
serving a page costs a header parse and one sendall.  The test fakes
(tests/fakes/fake.py) check signatures and build every page per request;
that is right for the tests and far too slow to feed a client at 150,000
events/s.  Here the client is what is measured.

    pagesrv.py --shape cloudtrail|azure|ssm|knowbe4 --events N \\
        --cert server.pem --key server.key --port-file FILE [--info FILE] \\
        [--cache-dir DIR] [--anchor EPOCH] [--page-size N]

--events is the number of audit events (cloudtrail, azure), of managed
instances (ssm) or of training enrollments (knowbe4).  The port (decimal and
a newline) is written to --port-file, atomically, once the pages are made
and the server listens; --info gets a JSON summary (events, pages, bytes,
seconds spent making them).  SIGTERM stops the server (exit 0).

Shapes follow the vendors' wire formats as the collectors in collectors/
and tests/fakes/ have them:

  cloudtrail  POST / (X-Amz-Target ...CloudTrail_20131101.LookupEvents),
              JSON 1.1 body with StartTime/EndTime (epoch seconds),
              MaxResults 50 and NextToken; 50 events a page, newest first,
              each with its CloudTrailEvent JSON string (about 1.4 KB).
  azure       POST /{tenant}/oauth2/v2.0/token (Entra ID client
              credentials), then GET /subscriptions/{sub}/providers/
              Microsoft.Insights/eventtypes/management/values
              ?api-version=2015-04-01&$filter=eventTimestamp ge '..' and
              eventTimestamp le '..' with the bearer token; 1,000 events a
              page (about 1.25 KB each), newest first, followed through an
              absolute nextLink on this host and port ($skiptoken).
  ssm         POST / (X-Amz-Target AmazonSSM.*): DescribeInstanceInformation
              (MaxResults, NextToken), DescribeInstancePatchStates (up to
              50 InstanceIds) and DescribeInstancePatches (InstanceId).
  knowbe4     GET /v1/training/enrollments?page=N&per_page=M (1-based,
              bare JSON arrays, an empty array at the end), bearer token.

Authentication: AWS requests are not checked at all (no SigV4
verification: this server measures the client, and signature checking is
covered by the test suite's fakes); the Entra ID token request must carry
the fakes' client id and secret, and Azure and KnowBe4 requests the bearer
token (a string compare).  Defaults match tests/fakes/fake.py.

Event times: audit events lie in the day before the anchor, which is the
start of the current UTC day unless --anchor pins it, so that the bytes are
the same on every run of a day and a client's 2-day lookback from now
covers them all.  A request whose time range does not cover the generated
events is refused (400), since pre-made pages cannot be filtered.  About 4
events in 1,000 are ones the classification rules (daemon/classify.c) flag.

Standard library only.
"""

import argparse
import json
import os
import random
import re
import signal
import socket
import ssl
import struct
import sys
import threading
import time
import urllib.parse

SEED = 20261125
DAY = 86400
ACCOUNT = "123456789012"
TENANT = "11111111-2222-3333-4444-555555555555"
CLIENT_ID = "aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee"
CLIENT_SECRET = "test-secret-azure"
SUBSCRIPTION = "00000000-1111-2222-3333-444444444444"
AZURE_TOKEN = "pagesrv-azure-token.eyJhdWQiOiJodHRwczovL21hbmFnZW1lbnQuYXp1cmUuY29tLyJ9"
KNOWBE4_TOKEN = "test-token-knowbe4"
AMZ_JSON = b"application/x-amz-json-1.1"
CACHE_VERSION = 1


def uuid_of(x):
    """A version-4-shaped UUID from a 128-bit integer."""
    h = "%032x" % x
    return "%s-%s-4%s-%s%s-%s" % (h[:8], h[8:12], h[13:16], "89ab"[x & 3], h[17:20], h[20:32])


class Clock:
    """ISO 8601 UTC of epoch seconds, cached per second."""

    def __init__(self):
        self.sec = None
        self.text = None

    def iso(self, sec):
        if sec != self.sec:
            self.sec = sec
            self.text = time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(sec))
        return self.text


def template(obj, names, bare=()):
    """json.dumps(obj) as a %-format string: each @name@ (in a JSON string,
    an embedded JSON string too) becomes %(name)s; a whole JSON string
    "@name@" of a name in bare becomes a bare %(name)s (a number)."""
    text = json.dumps(obj, separators=(",", ":")).replace("%", "%%")
    for n in bare:
        text = text.replace('"@%s@"' % n, "%%(%s)s" % n)
    for n in names:
        text = text.replace("@%s@" % n, "%%(%s)s" % n)
    return text


def http_head(status, ctype, length, extra=b""):
    reason = {200: b"OK", 400: b"Bad Request", 401: b"Unauthorized", 404: b"Not Found"}.get(status, b"Error")
    return (b"HTTP/1.1 %d %s\r\nContent-Type: %s\r\n%sContent-Length: %d\r\n\r\n"
            % (status, reason, ctype, extra, length))


def response(status, ctype, body, extra=b""):
    return http_head(status, ctype, len(body), extra) + body


def json_error(status, obj, ctype=b"application/json"):
    return response(status, ctype, json.dumps(obj, separators=(",", ":")).encode())


# ---------------------------------------------------------------------------- CloudTrail

CT_USERS = {"alice": "AIDAALICE0000000EXAMPLE", "bob": "AIDABOB00000000EXAMPLE",
            "mallory": "AIDAMALLORY0000EXAMPLE", "ci-deploy": "AIDACIDEPLOY000EXAMPLE"}
# About 4 in 1,000 events are one of these (each matches a classification rule).
CT_SPECIALS = ["StopLogging", "DeleteTrail", "UpdateTrail", "ConsoleLogin-noMFA", "ConsoleLogin-root",
               "CreateAccessKey-root", "AttachUserPolicy", "PutUserPolicy", "AuthorizeSecurityGroupIngress-world"]
CT_ORDINARY = ["DescribeInstances", "RunInstances", "CreateTags", "StartInstances", "StopInstances",
               "AssumeRole", "ConsoleLogin-mfa", "ConsoleLogin-failed", "GetTrailStatus", "DescribeTrails",
               "AuthorizeSecurityGroupIngress-private", "CreateBucket", "CreateLogGroup", "ListUsers",
               "CreateSnapshot"]
CT_TRAIL = "org-trail"


def _ct_iam_user(name):
    return {"type": "IAMUser", "principalId": CT_USERS[name],
            "arn": "arn:aws:iam::%s:user/%s" % (ACCOUNT, name), "accountId": ACCOUNT,
            "accessKeyId": "AKIA%s" % ("%016X" % (hash_str(name) & 0xFFFFFFFFFFFFFFFF)), "userName": name}


def hash_str(s):
    h = 1469598103934665603
    for c in s.encode():
        h = ((h ^ c) * 1099511628211) & 0xFFFFFFFFFFFFFFFF
    return h


def _ct_role(session):
    return {"type": "AssumedRole", "principalId": "AROAOPSROLE00000EXAMPLE:%s" % session,
            "arn": "arn:aws:sts::%s:assumed-role/OpsRole/%s" % (ACCOUNT, session), "accountId": ACCOUNT,
            "accessKeyId": "ASIA%016X" % hash_str(session),
            "sessionContext": {"sessionIssuer": {"type": "Role", "principalId": "AROAOPSROLE00000EXAMPLE",
                                                 "arn": "arn:aws:iam::%s:role/OpsRole" % ACCOUNT,
                                                 "accountId": ACCOUNT, "userName": "OpsRole"},
                               "attributes": {"creationDate": "2026-11-23T00:00:00Z", "mfaAuthenticated": "false"}}}


def _ct_sg(cidr, port):
    return {"groupId": "sg-0a1b2c3d4e5f00001", "ipPermissions": {"items": [{
        "ipProtocol": "tcp", "fromPort": port, "toPort": port, "groups": {},
        "ipRanges": {"items": [{"cidrIp": cidr}]}, "ipv6Ranges": {}, "prefixListIds": {}}]}}


def ct_template(kind, v):
    """The %-template of a LookupEvents entry of this kind and variant (0..7).
    Fields: e (EventId), r (requestID), t (EventTime), z (eventTime), ip
    (last octet of sourceIPAddress)."""
    region = "us-east-1"
    trail_arn = "arn:aws:cloudtrail:%s:%s:trail/%s" % (region, ACCOUNT, CT_TRAIL)
    source, read_only, ident = "ec2.amazonaws.com", False, _ct_role("ops-session-%d" % v)
    ip = "203.0.113.@ip@"
    ua = "aws-cli/2.17.0 Python/3.11.6 Linux/6.1"
    req = resp = extra = err = None
    etype, resources = "AwsApiCall", []
    name = kind.split("-")[0]
    inst = "i-0a1b2c3d4e5f%05d" % (v + 1)
    if kind == "DescribeInstances":
        read_only, req = True, {"instancesSet": {}, "filterSet": {}}
    elif kind == "RunInstances":
        iid = "i-0%016x" % (hash_str("run%d" % v))
        req = {"instanceType": "t3.micro", "minCount": 1, "maxCount": 1}
        resp = {"instancesSet": {"items": [{"instanceId": iid}]}}
        resources = [{"ResourceType": "AWS::EC2::Instance", "ResourceName": iid}]
    elif kind == "CreateTags":
        req = {"resourcesSet": {"items": [{"resourceId": inst}]},
               "tagSet": {"items": [{"key": "owner", "value": "ops"}]}}
        resp = {"_return": True}
        resources = [{"ResourceType": "AWS::EC2::Instance", "ResourceName": inst}]
    elif kind in ("StartInstances", "StopInstances"):
        req = {"instancesSet": {"items": [{"instanceId": inst}]}}
        resources = [{"ResourceType": "AWS::EC2::Instance", "ResourceName": inst}]
    elif kind == "AssumeRole":
        source, ident = "sts.amazonaws.com", _ct_iam_user("ci-deploy")
        req = {"roleArn": "arn:aws:iam::%s:role/OpsRole" % ACCOUNT, "roleSessionName": "ops-session-%d" % v,
               "durationSeconds": 3600}
        resources = [{"ResourceType": "AWS::IAM::Role", "ResourceName": "arn:aws:iam::%s:role/OpsRole" % ACCOUNT}]
    elif kind.startswith("ConsoleLogin"):
        source, etype = "signin.amazonaws.com", "AwsConsoleSignIn"
        ua = "Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0"
        mfa, ok = "Yes", True
        if kind == "ConsoleLogin-mfa":
            ident = _ct_iam_user(("alice", "bob", "ci-deploy")[v % 3])
        elif kind == "ConsoleLogin-failed":
            ident, mfa, ok = _ct_iam_user("bob"), "No", False
        elif kind == "ConsoleLogin-noMFA":
            ident, mfa, ip = _ct_iam_user("mallory"), "No", "198.51.100.23"
        else:
            ident, ip = {"type": "Root", "principalId": ACCOUNT, "arn": "arn:aws:iam::%s:root" % ACCOUNT,
                         "accountId": ACCOUNT}, "198.51.100.24"
        ident = dict(ident)
        ident.pop("accessKeyId", None)
        resp = {"ConsoleLogin": "Success" if ok else "Failure"}
        extra = {"LoginTo": "https://console.aws.amazon.com/console/home", "MobileVersion": "No", "MFAUsed": mfa}
        if mfa == "Yes":
            extra["MfaType"] = "Virtual MFA"
        if not ok:
            err = "Failed authentication"
    elif kind in ("GetTrailStatus", "DescribeTrails"):
        source, read_only = "cloudtrail.amazonaws.com", True
        req = {"name": trail_arn} if kind == "GetTrailStatus" else {"includeShadowTrails": True}
    elif kind == "AuthorizeSecurityGroupIngress-private":
        req, resp = _ct_sg("10.0.0.0/16", 443), {"_return": True}
    elif kind == "CreateBucket":
        source = "s3.amazonaws.com"
        req = {"bucketName": "ismsd-artifacts-%d" % v, "Host": "s3.amazonaws.com"}
        resources = [{"ResourceType": "AWS::S3::Bucket", "ResourceName": "ismsd-artifacts-%d" % v}]
    elif kind == "CreateLogGroup":
        source, req = "logs.amazonaws.com", {"logGroupName": "/app/service-%d" % v}
    elif kind == "ListUsers":
        source, read_only = "iam.amazonaws.com", True
    elif kind == "CreateSnapshot":
        req = {"volumeId": "vol-0a1b2c3d4e5f%05d" % v, "description": "nightly"}
        resources = [{"ResourceType": "AWS::EC2::Volume", "ResourceName": "vol-0a1b2c3d4e5f%05d" % v}]
    elif kind in ("StopLogging", "DeleteTrail", "UpdateTrail"):
        source, ident, ip = "cloudtrail.amazonaws.com", _ct_iam_user("mallory"), "198.51.100.23"
        tname = trail_arn if kind != "DeleteTrail" else \
            "arn:aws:cloudtrail:%s:%s:trail/secondary-trail" % (region, ACCOUNT)
        req = {"name": tname}
        if kind == "UpdateTrail":
            req.update({"s3BucketName": "mallory-exfil-bucket", "includeGlobalServiceEvents": False})
            resp = {"name": CT_TRAIL, "s3BucketName": "mallory-exfil-bucket", "includeGlobalServiceEvents": False,
                    "isMultiRegionTrail": False, "trailARN": trail_arn, "logFileValidationEnabled": False,
                    "isOrganizationTrail": False}
        resources = [{"ResourceType": "AWS::CloudTrail::Trail", "ResourceName": tname}]
    elif kind == "CreateAccessKey-root":
        source, ip = "iam.amazonaws.com", "198.51.100.24"
        ident = {"type": "Root", "principalId": ACCOUNT, "arn": "arn:aws:iam::%s:root" % ACCOUNT,
                 "accountId": ACCOUNT, "accessKeyId": "ASIAROOTSESSIONEXAMPLE"}
        resp = {"accessKey": {"accessKeyId": "AKIAROOTKEY00EXAMPLE", "status": "Active",
                              "createDate": "@z@"}}
    elif kind == "AttachUserPolicy":
        source, ident, ip = "iam.amazonaws.com", _ct_iam_user("mallory"), "198.51.100.23"
        req = {"userName": "mallory", "policyArn": "arn:aws:iam::aws:policy/AdministratorAccess"}
        resources = [{"ResourceType": "AWS::IAM::Policy", "ResourceName": "arn:aws:iam::aws:policy/AdministratorAccess"},
                     {"ResourceType": "AWS::IAM::User", "ResourceName": "mallory"}]
    elif kind == "PutUserPolicy":
        source, ident, ip = "iam.amazonaws.com", _ct_iam_user("mallory"), "198.51.100.23"
        req = {"userName": "mallory", "policyName": "inline-admin",
               "policyDocument": json.dumps({"Version": "2012-10-17", "Statement": [
                   {"Effect": "Allow", "Action": "*", "Resource": "*"}]})}
        resources = [{"ResourceType": "AWS::IAM::User", "ResourceName": "mallory"}]
    elif kind == "AuthorizeSecurityGroupIngress-world":
        ident, ip = _ct_iam_user("mallory"), "198.51.100.23"
        req = _ct_sg("0.0.0.0/0", 22)
        resp = {"_return": True, "securityGroupRuleSet": {"items": [{
            "groupId": "sg-0a1b2c3d4e5f00001", "isEgress": False, "ipProtocol": "tcp",
            "fromPort": 22, "toPort": 22, "cidrIpv4": "0.0.0.0/0"}]}}
        resources = [{"ResourceType": "AWS::EC2::SecurityGroup", "ResourceName": "sg-0a1b2c3d4e5f00001"}]
    else:
        raise ValueError(kind)
    inner = {"eventVersion": "1.09", "userIdentity": ident, "eventTime": "@z@Z", "eventSource": source,
             "eventName": name, "awsRegion": region, "sourceIPAddress": ip, "userAgent": ua,
             "requestParameters": req, "responseElements": resp}
    if extra is not None:
        inner["additionalEventData"] = extra
    if err:
        inner["errorMessage"] = err
    inner.update({"requestID": "@r@", "eventID": "@e@", "readOnly": read_only, "eventType": etype,
                  "managementEvent": True, "recipientAccountId": ACCOUNT, "eventCategory": "Management"})
    if ident["type"] == "Root":
        username = "root"
    elif ident["type"] == "AssumedRole":
        username = ident["arn"].rsplit("/", 1)[1]
    else:
        username = ident["userName"]
    ev = {"EventId": "@e@", "EventName": name, "ReadOnly": "true" if read_only else "false"}
    if ident.get("accessKeyId"):
        ev["AccessKeyId"] = ident["accessKeyId"]
    ev.update({"EventTime": "@t@", "EventSource": source, "Username": username, "Resources": resources,
               "CloudTrailEvent": json.dumps(inner, separators=(",", ":"))})
    return template(ev, ("e", "r", "z", "ip"), bare=("t",))


def ct_kind(rnd):
    u = rnd % 10000
    if u < 40:
        return CT_SPECIALS[u % len(CT_SPECIALS)]
    return CT_ORDINARY[(rnd >> 16) % len(CT_ORDINARY)]


def make_cloudtrail(n, anchor, page_size):
    """Pages of LookupEvents, newest first: a list of (body bytes, event count)."""
    rng = random.Random(SEED)
    clock = Clock()
    tmpls = {}
    pages = []
    newest = anchor - 60
    evs = []
    for i in range(n):
        r = rng.getrandbits(64)
        kind, v = ct_kind(r), (r >> 32) & 7
        t = tmpls.get((kind, v))
        if t is None:
            t = tmpls[(kind, v)] = ct_template(kind, v)
        sec = newest - (i * DAY) // n
        evs.append(t % {"e": uuid_of(rng.getrandbits(128)), "r": uuid_of(rng.getrandbits(128)),
                        "t": "%d.0" % sec, "z": clock.iso(sec), "ip": 10 + (r >> 40) % 200})
        if len(evs) == page_size or i == n - 1:
            last = i == n - 1
            body = '{"Events":[' + ",".join(evs) + "]"
            if not last:
                body += ',"NextToken":"%s"' % ct_token(len(pages) + 1)
            pages.append(((body + "}").encode(), len(evs)))
            evs = []
    return pages, (newest - ((n - 1) * DAY) // n, newest)


def ct_token(page):
    # Opaque to the client, like the real ones; the page number is inside.
    return "pgs1-%08d-%016x" % (page, hash_str("ct%d" % page))


# ---------------------------------------------------------------------------- Azure

AZ_SPECIALS = ["diagnosticSettings-delete", "roleAssignments-write", "nsg-world-22"]
AZ_ORDINARY = ["vm-start", "vm-write", "deployment-write", "storage-listkeys", "nsg-private-443",
               "diagnosticSettings-write", "webapp-restart", "disk-write"]
AZ_OWNER_ROLE = "8e3af657-a8ff-443c-a75c-2fe8c4bcb635"
AZ_CALLERS = ["alice@contoso.example", "deploy-pipeline@contoso.example", "bob@contoso.example"]


def az_op(kind, v):
    sub = "/subscriptions/%s" % SUBSCRIPTION
    caller = AZ_CALLERS[v % 3]
    body, method, rg = None, "PUT", "rg-app"
    if kind == "vm-start":
        res = "%s/resourceGroups/rg-app/providers/Microsoft.Compute/virtualMachines/vm-app-%02d" % (sub, v)
        op, method = "Microsoft.Compute/virtualMachines/start/action", "POST"
    elif kind == "vm-write":
        res = "%s/resourceGroups/rg-app/providers/Microsoft.Compute/virtualMachines/vm-app-%02d" % (sub, v)
        op = "Microsoft.Compute/virtualMachines/write"
    elif kind == "deployment-write":
        res = "%s/resourceGroups/rg-app/providers/Microsoft.Resources/deployments/release-%d" % (sub, 100 + v)
        op = "Microsoft.Resources/deployments/write"
    elif kind == "storage-listkeys":
        rg = "rg-data"
        res = "%s/resourceGroups/rg-data/providers/Microsoft.Storage/storageAccounts/stismsddata" % sub
        op, method = "Microsoft.Storage/storageAccounts/listKeys/action", "POST"
    elif kind == "nsg-private-443":
        res = "%s/resourceGroups/rg-app/providers/Microsoft.Network/networkSecurityGroups/nsg-app/securityRules/allow-https-vnet" % sub
        op = "Microsoft.Network/networkSecurityGroups/securityRules/write"
        body = {"properties": {"protocol": "Tcp", "sourcePortRange": "*", "destinationPortRange": "443",
                               "sourceAddressPrefix": "10.0.0.0/16", "destinationAddressPrefix": "*",
                               "access": "Allow", "priority": 200, "direction": "Inbound"}}
    elif kind == "diagnosticSettings-write":
        rg = "rg-security"
        res = "%s/resourceGroups/rg-security/providers/Microsoft.KeyVault/vaults/kv-prod/providers/Microsoft.Insights/diagnosticSettings/send-to-siem" % sub
        op = "Microsoft.Insights/diagnosticSettings/write"
    elif kind == "webapp-restart":
        rg = "rg-web"
        res = "%s/resourceGroups/rg-web/providers/Microsoft.Web/sites/app-portal" % sub
        op, method = "Microsoft.Web/sites/restart/action", "POST"
    elif kind == "disk-write":
        res = "%s/resourceGroups/rg-app/providers/Microsoft.Compute/disks/disk-app-%02d" % (sub, v)
        op = "Microsoft.Compute/disks/write"
    elif kind == "diagnosticSettings-delete":
        rg, caller = "rg-security", "mallory@contoso.example"
        res = "%s/resourceGroups/rg-security/providers/Microsoft.KeyVault/vaults/kv-prod/providers/Microsoft.Insights/diagnosticSettings/send-to-siem" % sub
        op, method = "Microsoft.Insights/diagnosticSettings/delete", "DELETE"
    elif kind == "roleAssignments-write":
        rg, caller = "", "mallory@contoso.example"
        res = "%s/providers/Microsoft.Authorization/roleAssignments/%s" % (sub, uuid_of(hash_str("ra%d" % v) << 64 | v))
        op = "Microsoft.Authorization/roleAssignments/write"
        body = {"properties": {"roleDefinitionId": "%s/providers/Microsoft.Authorization/roleDefinitions/%s" % (sub, AZ_OWNER_ROLE),
                               "principalId": "9f1e8d7c-6b5a-4938-8271-605f4e3d2c1b", "principalType": "User"}}
    elif kind == "nsg-world-22":
        caller = "mallory@contoso.example"
        res = "%s/resourceGroups/rg-app/providers/Microsoft.Network/networkSecurityGroups/nsg-app/securityRules/allow-ssh-world" % sub
        op = "Microsoft.Network/networkSecurityGroups/securityRules/write"
        body = {"properties": {"protocol": "Tcp", "sourcePortRange": "*", "destinationPortRange": "22",
                               "sourceAddressPrefix": "0.0.0.0/0", "destinationAddressPrefix": "*",
                               "access": "Allow", "priority": 100, "direction": "Inbound"}}
    else:
        raise ValueError(kind)
    return res, op, method, body, caller, rg


def az_template(kind, v, started):
    """The %-template of one EventData (the usual fields but id, category
    and clientRequestId, which no collector reads: about 1.25 KB).  Fields:
    e (eventDataId), c (correlationId), o (operationId), ip, ts
    (eventTimestamp), ss (submissionTimestamp)."""
    res, op, method, body, caller, rg = az_op(kind, v)
    provider = res.rsplit("/providers/", 1)[1].split("/")[0]
    props = {}
    if started:
        if body is not None:
            props["requestbody"] = json.dumps(body, separators=(",", ":"))
    else:
        props["statusCode"] = "OK" if method in ("POST", "DELETE") else "Created"
        if body is not None:
            props["responseBody"] = json.dumps(dict(body, id=res, name=res.rsplit("/", 1)[1]), separators=(",", ":"))
    ev = {
        "authorization": {"action": op, "scope": res},
        "caller": caller,
        "channels": "Operation",
        "claims": {"ipaddr": "203.0.113.@ip@", "idtyp": "user"},
        "correlationId": "@c@",
        "eventDataId": "@e@",
        "eventName": {"value": "BeginRequest" if started else "EndRequest"},
        "httpRequest": {"clientIpAddress": "203.0.113.@ip@", "method": method},
        "level": "Informational",
        "resourceGroupName": rg,
        "resourceProviderName": {"value": provider},
        "resourceId": res,
        "operationId": "@o@",
        "operationName": {"value": op},
        "properties": props,
        "status": {"value": "Started" if started else "Succeeded"},
        "subStatus": {"value": "" if started else props["statusCode"]},
        "eventTimestamp": "@ts@",
        "submissionTimestamp": "@ss@",
        "subscriptionId": SUBSCRIPTION,
        "tenantId": TENANT,
    }
    return template(ev, ("e", "c", "o", "ip", "ts", "ss"))


def az_kind(rnd):
    u = rnd % 10000
    if u < 60:  # the Succeeded event of these: 3 in 1,000 events
        return AZ_SPECIALS[u % len(AZ_SPECIALS)]
    return AZ_ORDINARY[(rnd >> 16) % len(AZ_ORDINARY)]


def make_azure(n, anchor, page_size):
    """Pages of the Activity Log, newest first, without their nextLink: a
    list of (body prefix bytes '{"value":[...]', event count)."""
    rng = random.Random(SEED + 1)
    clock, clock2 = Clock(), Clock()
    tmpls = {}
    pages = []
    newest = (anchor - 60) * 10 ** 7       # 100 ns ticks
    window = DAY * 10 ** 7
    evs = []
    op = None
    for i in range(n):
        # Event i (newest first) is phase 1 (Succeeded) of an operation when
        # i is even, and its Started event follows (older) at i + 1.
        if i % 2 == 0:
            r = rng.getrandbits(64)
            op = (az_kind(r), (r >> 32) & 7, 10 + (r >> 40) % 200, uuid_of(rng.getrandbits(128)),
                  uuid_of(rng.getrandbits(128)))
        kind, v, ip, corr, opid = op
        started = i % 2 == 1 or i == n - 1
        key = (kind, v, started)
        t = tmpls.get(key)
        if t is None:
            t = tmpls[key] = az_template(kind, v, started)
        ticks = newest - (i * window) // n
        sec, frac = divmod(ticks, 10 ** 7)
        ssec = sec + 15 + (i * 7) % 75
        evs.append(t % {"e": uuid_of(rng.getrandbits(128)), "c": corr, "o": opid, "ip": ip,
                        "ts": "%s.%07dZ" % (clock.iso(sec), frac),
                        "ss": "%s.%07dZ" % (clock2.iso(ssec), frac)})
        if len(evs) == page_size or i == n - 1:
            pages.append((('{"value":[' + ",".join(evs) + "]").encode(), len(evs)))
            evs = []
    oldest = newest - ((n - 1) * window) // n
    return pages, (oldest // 10 ** 7, -(-newest // 10 ** 7))


# ---------------------------------------------------------------------------- SSM

def ssm_instance_id(k):
    return "i-0%016x" % (0x0a1b2c3d00000000 + k)


def make_ssm(n, anchor):
    """Instance information, patch states and patches of n instances: about
    3 % miss critical or security patches, 1 % have never been scanned, 2 %
    wait for a reboot, 1 % failed to install one, 2 % scanned 10 days ago."""
    rng = random.Random(SEED + 2)
    infos, states, patches = [], {}, {}
    for k in range(1, n + 1):
        iid = ssm_instance_id(k)
        r = rng.getrandbits(64)
        windows = r % 5 == 0
        u = (r >> 8) % 100
        ping = anchor - 120 - k % 3600
        infos.append(json.dumps({
            "InstanceId": iid, "PingStatus": "ConnectionLost" if u == 99 else "Online",
            "LastPingDateTime": float(ping if u != 99 else anchor - 10 * DAY), "AgentVersion": "3.3.1142.0",
            "IsLatestVersion": False, "PlatformType": "Windows" if windows else "Linux",
            "PlatformName": "Microsoft Windows Server 2022 Datacenter" if windows else "Amazon Linux",
            "PlatformVersion": "10.0.20348" if windows else "2023", "ResourceType": "EC2Instance",
            "IPAddress": "10.%d.%d.%d" % (k >> 16 & 255, k >> 8 & 255, k & 255),
            "ComputerName": ("WIN-APP%05d" % k) if windows else "ip-10-%d-%d-%d.ec2.internal" % (k >> 16 & 255, k >> 8 & 255, k & 255),
            "AssociationStatus": "Success", "LastAssociationExecutionDate": float(anchor - 3600 - k % 600),
            "LastSuccessfulAssociationExecutionDate": float(anchor - 3600 - k % 600),
            "SourceId": iid, "SourceType": "AWS::EC2::Instance"}, separators=(",", ":")).encode())
        if u == 98:
            continue  # never scanned: no patch state
        crit = sec = missing = other = failed = reboot = 0
        end = anchor - 6 * 3600 - k % 3600
        if u < 3:
            crit, sec = 1 + r % 3, 1 + (r >> 2) % 3
            missing, other = crit + sec + 1, 1
        elif u < 5:
            reboot, other = 2, 2
        elif u < 6:
            failed, other = 1, 1
        elif u < 8:
            end = anchor - 10 * DAY - k % 3600
        states[iid] = json.dumps({
            "InstanceId": iid, "PatchGroup": "prod-windows" if windows else "prod-linux",
            "BaselineId": "pb-0fedcba9876543210" if windows else "pb-0123456789abcdef0",
            "SnapshotId": uuid_of(rng.getrandbits(128)), "InstalledCount": 300 + k % 97,
            "InstalledOtherCount": 40 + k % 13, "InstalledPendingRebootCount": reboot, "InstalledRejectedCount": 0,
            "MissingCount": missing, "FailedCount": failed, "UnreportedNotApplicableCount": 0,
            "NotApplicableCount": 1500 + k % 200, "AvailableSecurityUpdateCount": 0,
            "CriticalNonCompliantCount": crit, "SecurityNonCompliantCount": sec, "OtherNonCompliantCount": other,
            "OperationStartTime": float(end - 75), "OperationEndTime": float(end), "Operation": "Scan",
            "RebootOption": "RebootIfNeeded"}, separators=(",", ":")).encode()
        plist = []
        for j in range(missing):
            sev, cls = ("Critical", "SecurityUpdates") if j < crit else \
                ("Important", "SecurityUpdates") if j < crit + sec else ("Moderate", "Bugfix")
            kb = "KB5%06d" % ((k * 7 + j) % 1000000)
            plist.append({"Title": "2026-11 %s update (%s)" % (sev, kb), "KBId": kb, "Classification": cls,
                          "Severity": sev, "State": "Missing", "InstalledTime": 0.0,
                          "CVEIds": "CVE-2026-%05d" % ((k + j) % 100000)})
        for j in range(3):
            kb = "KB4%06d" % ((k * 3 + j) % 1000000)
            plist.append({"Title": "2026-10 cumulative update (%s)" % kb, "KBId": kb,
                          "Classification": "SecurityUpdates", "Severity": "Important", "State": "Installed",
                          "InstalledTime": float(anchor - 20 * DAY - j)})
        patches[iid] = json.dumps(plist, separators=(",", ":")).encode()
    return infos, states, patches


# ---------------------------------------------------------------------------- KnowBe4

KB4_MODULES = [
    ("Store Purchase", "2026 Kevin Mitnick Security Awareness Training (45 min)", "2026 Annual Security Awareness"),
    ("Store Purchase", "Phishing Fundamentals", "2026 Annual Security Awareness"),
    ("Store Purchase", "Social Engineering Red Flags", "2026 Annual Security Awareness"),
    ("Store Purchase", "Handling Sensitive Information Securely", "2026 Data Protection"),
    ("Uploaded Policy", "Acceptable Use Policy", "2026 Policy Acknowledgement"),
]


def make_knowbe4(n, anchor):
    """n enrollments, five modules per user; about 5 % not finished."""
    rng = random.Random(SEED + 3)
    enrolled = anchor - 45 * DAY + 9 * 3600
    out = []
    for idx in range(n):
        u, m = divmod(idx, len(KB4_MODULES))
        ctype, module, camp = KB4_MODULES[m]
        r = rng.getrandbits(32)
        status, start, done, spent = "Passed", None, None, 1200 + r % 1800
        w = (r >> 12) % 100
        if w < 2:
            status, spent = "Not Started", 0
        elif w < 4:
            status, spent = "Past Due", 0
        elif w < 5:
            status, start, spent = "In Progress", enrolled + 3 * DAY + 600, 900
        else:
            done = enrolled + (1 + (r >> 20) % 20) * DAY + 4 * 3600
            start = done - spent
        iso = lambda t: time.strftime("%Y-%m-%dT%H:%M:%S.000Z", time.gmtime(t)) if t else None
        out.append(json.dumps({
            "enrollment_id": 5000000 + idx, "content_type": ctype, "module_name": module,
            "user": {"id": 1000000 + u, "first_name": "User%05d" % u, "last_name": "Example",
                     "email": "user%05d@example.com" % u},
            "campaign_name": camp, "enrollment_date": iso(enrolled), "start_date": iso(start),
            "completion_date": iso(done), "status": status, "time_spent": spent,
            "policy_acknowledged": ctype == "Uploaded Policy" and status == "Passed"},
            separators=(",", ":")).encode())
    return out


# ---------------------------------------------------------------------------- cache

def cache_load(path):
    try:
        with open(path, "rb") as f:
            data = f.read()
    except OSError:
        return None
    pages, pos = [], 0
    lo, hi, count = struct.unpack_from("<qqq", data, 0)
    pos = 24
    for _ in range(count):
        size, events = struct.unpack_from("<qq", data, pos)
        pos += 16
        pages.append((data[pos:pos + size], events))
        pos += size
    return pages, (lo, hi)


def cache_store(path, pages, bounds):
    tmp = path + ".tmp%d" % os.getpid()
    with open(tmp, "wb") as f:
        f.write(struct.pack("<qqq", bounds[0], bounds[1], len(pages)))
        for body, events in pages:
            f.write(struct.pack("<qq", len(body), events))
            f.write(body)
    os.rename(tmp, path)


# ---------------------------------------------------------------------------- serving

class BadRequest(Exception):
    def __init__(self, resp):
        Exception.__init__(self)
        self.resp = resp


def aws_error(status, code, message):
    return json_error(status, {"__type": code, "message": message}, AMZ_JSON)


class App:
    """Holds the pages of one shape and answers requests."""

    def __init__(self, args, port):
        self.args = args
        self.port = port
        self.shape = args.shape
        self.info = {"shape": args.shape, "events": args.events, "pages": 0, "bytes": 0}
        t0 = time.monotonic()
        getattr(self, "init_" + self.shape)()
        self.info["make_s"] = round(time.monotonic() - t0, 3)

    def cached(self, make, name):
        a = self.args
        if not a.cache_dir:
            return make()
        os.makedirs(a.cache_dir, exist_ok=True)
        path = os.path.join(a.cache_dir, "%s-v%d-%d-%d-%d.pages" % (name, CACHE_VERSION, a.events, a.anchor,
                                                                    self.page_size))
        got = cache_load(path)
        if got is None:
            got = make()
            cache_store(path, *got)
        return got

    # -- CloudTrail
    def init_cloudtrail(self):
        self.page_size = self.args.page_size or 50
        pages, self.bounds = self.cached(lambda: make_cloudtrail(self.args.events, self.args.anchor,
                                                                 self.page_size), "cloudtrail")
        self.tokens = {ct_token(k): k for k in range(1, len(pages))}
        self.responses = []
        for k, (body, _) in enumerate(pages):
            rid = uuid_of(hash_str("req%d" % k) << 64 | k).encode()
            self.responses.append(response(200, AMZ_JSON, body, b"x-amzn-RequestId: %s\r\n" % rid))
            self.info["bytes"] += len(body)
        self.info["pages"] = len(pages)

    def handle_cloudtrail(self, method, target, headers, body):
        if method != b"POST" or not headers.get(b"x-amz-target", b"").endswith(b".LookupEvents"):
            return aws_error(400, "UnknownOperationException", "pagesrv serves LookupEvents only")
        try:
            req = json.loads(body)
            start, end = req.get("StartTime"), req.get("EndTime")
            token = req.get("NextToken")
            limit = req.get("MaxResults", self.page_size)
        except (ValueError, AttributeError):
            return aws_error(400, "SerializationException", "the body is not a JSON object")
        if not isinstance(start, (int, float)) or not isinstance(end, (int, float)) or \
                start > self.bounds[0] or end < self.bounds[1]:
            return aws_error(400, "ValidationException",
                             "pagesrv: StartTime/EndTime (%r, %r) must cover the generated events (%d..%d)"
                             % (start, end, self.bounds[0], self.bounds[1]))
        if limit != self.page_size:
            return aws_error(400, "InvalidMaxResultsException",
                             "pagesrv serves pages of %d (MaxResults %r)" % (self.page_size, limit))
        if token is None:
            return self.responses[0]
        k = self.tokens.get(token)
        if k is None:
            return aws_error(400, "InvalidNextTokenException", "Invalid NextToken")
        return self.responses[k]

    # -- Azure
    def init_azure(self):
        self.page_size = self.args.page_size or 1000
        self.pages, self.bounds = self.cached(lambda: make_azure(self.args.events, self.args.anchor,
                                                                 self.page_size), "azure")
        self.info["pages"] = len(self.pages)
        self.info["bytes"] = sum(len(b) for b, _ in self.pages) + len(self.pages) * 2
        self.token_path = ("/%s/oauth2/v2.0/token" % TENANT).encode()
        self.list_path = ("/subscriptions/%s/providers/microsoft.insights/eventtypes/management/values"
                          % SUBSCRIPTION).encode()
        self.bearer = b"Bearer " + AZURE_TOKEN.encode()
        self.token_resp = response(200, b"application/json; charset=utf-8", json.dumps(
            {"token_type": "Bearer", "expires_in": 3599, "ext_expires_in": 3599, "access_token": AZURE_TOKEN},
            separators=(",", ":")).encode())

    _GE_LE = re.compile(r"eventTimestamp\s+ge\s+'([^']+)'\s+and\s+eventTimestamp\s+le\s+'([^']+)'", re.I)

    @staticmethod
    def _epoch(iso):
        from datetime import datetime
        return datetime.fromisoformat(iso.replace("Z", "+00:00")).timestamp()

    def handle_azure(self, method, target, headers, body):
        path, _, query = target.partition(b"?")
        if path == self.token_path:
            form = urllib.parse.parse_qs(body.decode("utf-8", "replace"))
            get = lambda k: (form.get(k) or [""])[0]
            if method != b"POST" or get("grant_type") != "client_credentials" or \
                    get("client_id") != CLIENT_ID or get("client_secret") != CLIENT_SECRET or \
                    not get("scope").endswith("/.default"):
                return json_error(401, {"error": "invalid_client",
                                        "error_description": "AADSTS7000215: pagesrv: wrong client credentials"})
            return self.token_resp
        if path.lower() != self.list_path:
            return json_error(404, {"error": {"code": "NotFound", "message": "pagesrv: no such path"}})
        if headers.get(b"authorization") != self.bearer:
            return json_error(401, {"error": {"code": "InvalidAuthenticationToken",
                                              "message": "The access token is invalid."}})
        q = urllib.parse.parse_qs(query.decode("utf-8", "replace"))
        if (q.get("api-version") or [""])[0] != "2015-04-01":
            return json_error(400, {"error": {"code": "InvalidApiVersionParameter", "message": "api-version"}})
        m = self._GE_LE.search((q.get("$filter") or [""])[0])
        try:
            ok = m is not None and self._epoch(m.group(1)) <= self.bounds[0] and \
                self._epoch(m.group(2)) >= self.bounds[1]
        except ValueError:
            ok = False
        if not ok:
            return json_error(400, {"error": {"code": "BadRequest", "message":
                                              "pagesrv: $filter must cover the generated events (%d..%d)"
                                              % self.bounds}})
        skip = (q.get("$skiptoken") or [None])[0]
        k = 0
        if skip is not None:
            k = int(skip[4:]) if skip.startswith("pgs1") and skip[4:].isdigit() else -1
            if not 0 < k < len(self.pages):
                return json_error(400, {"error": {"code": "InvalidSkipToken", "message": "$skiptoken"}})
        prefix, _ = self.pages[k]
        if k + 1 < len(self.pages):
            keep = b"&".join(p for p in query.split(b"&") if not p.lower().startswith(b"$skiptoken="))
            link = b"https://127.0.0.1:%d%s?%s&$skiptoken=pgs1%d" % (self.port, path, keep, k + 1)
            tail = b',"nextLink":' + json.dumps(link.decode("latin-1")).encode("latin-1") + b"}"
        else:
            tail = b"}"
        return http_head(200, b"application/json; charset=utf-8", len(prefix) + len(tail)) + prefix + tail

    # -- SSM
    def init_ssm(self):
        self.page_size = 0
        self.infos, self.states, self.patches = make_ssm(self.args.events, self.args.anchor)
        self.info_pages = {}
        self.info["pages"] = None  # depends on the client's calls
        self.info["bytes"] = sum(map(len, self.infos)) + sum(map(len, self.states.values())) + \
            sum(map(len, self.patches.values()))

    def _ssm_info(self, limit, start):
        key = (limit, start)
        r = self.info_pages.get(key)
        if r is None:
            chunk = self.infos[start:start + limit]
            body = b'{"InstanceInformationList":[' + b",".join(chunk) + b"]"
            if start + limit < len(self.infos):
                body += b',"NextToken":"pgs1-%d"' % (start + limit)
            r = self.info_pages[key] = response(200, AMZ_JSON, body + b"}")
        return r

    def handle_ssm(self, method, target, headers, body):
        op = headers.get(b"x-amz-target", b"")
        try:
            req = json.loads(body)
            token = req.get("NextToken")
            start = 0 if token is None else int(token[5:])
        except (ValueError, AttributeError, TypeError):
            return aws_error(400, "SerializationException", "the body is not a JSON object")
        if op == b"AmazonSSM.DescribeInstanceInformation":
            return self._ssm_info(int(req.get("MaxResults") or 50), start)
        if op == b"AmazonSSM.DescribeInstancePatchStates":
            ids = req.get("InstanceIds")
            if not isinstance(ids, list) or not 1 <= len(ids) <= 50:
                return aws_error(400, "ValidationException", "InstanceIds must have 1 to 50 members")
            limit = int(req.get("MaxResults") or 50)
            found = [self.states[i] for i in ids if i in self.states]
            chunk = found[start:start + limit]
            out = b'{"InstancePatchStates":[' + b",".join(chunk) + b"]"
            if start + limit < len(found):
                out += b',"NextToken":"pgs1-%d"' % (start + limit)
            return response(200, AMZ_JSON, out + b"}")
        if op == b"AmazonSSM.DescribeInstancePatches":
            p = self.patches.get(req.get("InstanceId"))
            if p is None:
                return aws_error(400, "InvalidInstanceId", "Invalid instance id")
            return response(200, AMZ_JSON, b'{"Patches":' + p + b"}")
        return aws_error(400, "UnknownOperationException", "pagesrv: unknown operation")

    # -- KnowBe4
    def init_knowbe4(self):
        self.page_size = 0
        self.enrollments = make_knowbe4(self.args.events, self.args.anchor)
        self.kb_pages = {}
        self.info["pages"] = None  # depends on the client's per_page
        self.bearer = b"Bearer " + KNOWBE4_TOKEN.encode()
        self.info["bytes"] = sum(map(len, self.enrollments))

    def handle_knowbe4(self, method, target, headers, body):
        if headers.get(b"authorization") != self.bearer:
            return json_error(401, {"message": "Unauthorized"})
        path, _, query = target.partition(b"?")
        if method != b"GET" or path.rstrip(b"/") != b"/v1/training/enrollments":
            return json_error(404, {"message": "Not Found"})
        q = urllib.parse.parse_qs(query.decode())
        try:
            page = int((q.get("page") or ["1"])[0])
            per = min(int((q.get("per_page") or ["100"])[0]), 500)
        except ValueError:
            page = per = 0
        if page < 1 or per < 1:
            return json_error(400, {"message": "page and per_page must be positive integers"})
        key = (page, per)
        r = self.kb_pages.get(key)
        if r is None:
            chunk = self.enrollments[(page - 1) * per:page * per]
            r = self.kb_pages[key] = response(200, b"application/json; charset=utf-8",
                                              b"[" + b",".join(chunk) + b"]")
        return r


def read_request(conn, buf):
    """Reads one request from conn; buf holds bytes already read.  Returns
    (method, target, headers (lower-case names), body, rest, close) or None
    at end of stream."""
    while True:
        end = buf.find(b"\r\n\r\n")
        if end >= 0:
            break
        data = conn.recv(65536)
        if not data:
            return None
        buf += data
    lines = buf[:end].split(b"\r\n")
    buf = buf[end + 4:]
    method, target, _ = lines[0].split(b" ", 2)
    headers = {}
    for line in lines[1:]:
        k, _, v = line.partition(b":")
        headers[k.strip().lower()] = v.strip()
    clen = int(headers.get(b"content-length", b"0"))
    if len(buf) < clen and headers.get(b"expect", b"").lower() == b"100-continue":
        conn.sendall(b"HTTP/1.1 100 Continue\r\n\r\n")
    while len(buf) < clen:
        data = conn.recv(max(65536, clen - len(buf)))
        if not data:
            return None
        buf += data
    close = headers.get(b"connection", b"").lower() == b"close"
    return method, target, headers, buf[:clen], buf[clen:], close


def serve_conn(app, ctx, sock):
    handle = getattr(app, "handle_" + app.shape)
    try:
        conn = ctx.wrap_socket(sock, server_side=True)
    except (OSError, ssl.SSLError):
        sock.close()
        return
    try:
        buf = b""
        while True:
            req = read_request(conn, buf)
            if req is None:
                break
            method, target, headers, body, buf, close = req
            try:
                out = handle(method, target, headers, body)
            except BadRequest as e:
                out = e.resp
            conn.sendall(out)
            if close:
                break
    except (OSError, ssl.SSLError, ValueError):
        pass
    finally:
        try:
            conn.close()
        except OSError:
            pass


def main():
    ap = argparse.ArgumentParser(description="bench page server (see the top of this file)")
    ap.add_argument("--shape", required=True, choices=("cloudtrail", "azure", "ssm", "knowbe4"))
    ap.add_argument("--events", type=int, required=True)
    ap.add_argument("--cert", required=True)
    ap.add_argument("--key", required=True)
    ap.add_argument("--port-file", required=True)
    ap.add_argument("--info", help="write a JSON summary of the data here")
    ap.add_argument("--cache-dir", help="keep the generated pages here and reuse them")
    ap.add_argument("--anchor", type=int, help="epoch seconds the events end at (default: start of today, UTC)")
    ap.add_argument("--page-size", type=int, default=0, help="events per page (cloudtrail 50, azure 1000)")
    a = ap.parse_args()
    if a.events < 1:
        ap.error("--events must be at least 1")
    if a.anchor is None:
        a.anchor = int(time.time()) // DAY * DAY
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))

    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.minimum_version = ssl.TLSVersion.TLSv1_2
    ctx.load_cert_chain(a.cert, a.key)
    lsock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    lsock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    lsock.bind(("127.0.0.1", 0))
    port = lsock.getsockname()[1]
    app = App(a, port)  # the pages, before anyone is told the port
    lsock.listen(64)
    if a.info:
        with open(a.info + ".tmp", "w") as f:
            json.dump(app.info, f)
        os.rename(a.info + ".tmp", a.info)
    with open(a.port_file + ".tmp", "w") as f:
        f.write("%d\n" % port)
    os.rename(a.port_file + ".tmp", a.port_file)
    sys.stderr.write("pagesrv: %s: %d events, %s pages, %d bytes, made in %.1f s; port %d\n"
                     % (a.shape, a.events, app.info["pages"], app.info["bytes"], app.info["make_s"], port))
    while True:
        sock, _ = lsock.accept()
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        threading.Thread(target=serve_conn, args=(app, ctx, sock), daemon=True).start()


if __name__ == "__main__":
    main()
