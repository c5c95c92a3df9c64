"""Deterministic scenario data for the ismsd fakes ("healthy" / "breaching").

Everything here is a pure function of (vendor, scenario, now, events, ...):
no randomness across runs. Variation inside a data set comes from h64(), a
hash seeded with the scenario name. The audit-log vendors (CloudTrail, Azure,
GCP) expose an indexable event stream (event(i), time_of(i)) so pages are
generated on demand and 1M events are never held in memory.

summary() recomputes the KPI numbers documented in README.md from the data
(`fake.py --vendor V --scenario S --summary`); selftest.sh compares them with
the documented values.
"""

import json

from fakelib import det_hex, det_uuid, h64, iso_ns, iso_z

ACCOUNT = "123456789012"
DAY = 86400
SCENARIOS = ("healthy", "breaching")


class Config:
    """Data-relevant configuration (immutable; replaced on /__fake/config)."""

    def __init__(self, scenario, now, events, region="us-east-1",
                 project="ismsd-test-project",
                 subscription="00000000-1111-2222-3333-444444444444",
                 tenant="11111111-2222-3333-4444-555555555555"):
        if scenario not in SCENARIOS:
            raise ValueError("scenario must be one of %s" % ", ".join(SCENARIOS))
        self.scenario, self.now, self.events = scenario, int(now), int(events)
        self.region, self.project = region, project
        self.subscription, self.tenant = subscription, tenant

    @property
    def breaching(self):
        return self.scenario == "breaching"

    def key(self):
        return (self.scenario, self.now, self.events, self.region, self.project,
                self.subscription, self.tenant)


# ==========================================================================
# AWS SSM

SSM_COUNT = 25
# breaching: n -> (Critical, Security, Missing, Other) non-compliant counts
SSM_CRITICAL = {20: (2, 3, 4, 1), 21: (1, 1, 2, 1), 22: (3, 4, 5, 1), 23: (1, 2, 3, 1)}
SSM_PENDING_REBOOT = 18
SSM_FAILED = 19
SSM_STALE = (24, 25)          # last scan 10 days ago
SSM_CONNECTION_LOST = 25


def ssm_instance_id(n):
    return "i-0a1b2c3d4e5f%05d" % n


def ssm_instance_info(cfg):
    out = []
    for n in range(1, SSM_COUNT + 1):
        windows = n > 20
        lost = cfg.breaching and n == SSM_CONNECTION_LOST
        ping = cfg.now - (10 * DAY + 600 if lost else 120 + n)
        item = {
            "InstanceId": ssm_instance_id(n),
            "PingStatus": "ConnectionLost" if lost else "Online",
            "LastPingDateTime": float(ping),
            "AgentVersion": "3.3.1142.0",
            "IsLatestVersion": False,
            "PlatformType": "Windows" if windows else "Linux",
            "PlatformName": ("Microsoft Windows Server 2022 Datacenter" if windows
                             else "Amazon Linux"),
            "PlatformVersion": "10.0.20348" if windows else "2023",
            "ResourceType": "EC2Instance",
            "IPAddress": "10.0.1.%d" % n,
            "ComputerName": ("WIN-APP%02d" % n if windows
                             else "ip-10-0-1-%d.ec2.internal" % n),
            "AssociationStatus": "Success",
            "LastAssociationExecutionDate": float(cfg.now - 3600 - n),
            "LastSuccessfulAssociationExecutionDate": float(cfg.now - 3600 - n),
            "SourceId": ssm_instance_id(n),
            "SourceType": "AWS::EC2::Instance",
        }
        out.append(item)
    return out


def ssm_patch_states(cfg):
    out = []
    for n in range(1, SSM_COUNT + 1):
        windows = n > 20
        crit = sec = missing = other = failed = reboot = 0
        end = cfg.now - 6 * 3600 - 60 * n
        if cfg.breaching:
            if n in SSM_CRITICAL:
                crit, sec, missing, other = SSM_CRITICAL[n]
            elif n == SSM_PENDING_REBOOT:
                reboot, other = 2, 2
            elif n == SSM_FAILED:
                failed, other = 1, 1
            elif n in SSM_STALE:
                end = cfg.now - 10 * DAY - 60 * n
        out.append({
            "InstanceId": ssm_instance_id(n),
            "PatchGroup": "prod-windows" if windows else "prod-linux",
            "BaselineId": "pb-0fedcba9876543210" if windows else "pb-0123456789abcdef0",
            "SnapshotId": det_uuid("ssm-snapshot", cfg.scenario, n),
            "InstalledCount": 300 + 7 * n,
            "InstalledOtherCount": 40 + n,
            "InstalledPendingRebootCount": reboot,
            "InstalledRejectedCount": 0,
            "MissingCount": missing,
            "FailedCount": failed,
            "UnreportedNotApplicableCount": 0,
            "NotApplicableCount": 1500 + n,
            "AvailableSecurityUpdateCount": 0,
            "CriticalNonCompliantCount": crit,
            "SecurityNonCompliantCount": sec,
            "OtherNonCompliantCount": other,
            "OperationStartTime": float(end - 75 - n),
            "OperationEndTime": float(end),
            "Operation": "Scan",
            "RebootOption": "RebootIfNeeded",
        })
    return out


def ssm_instance_patches(cfg, n):
    """DescribeInstancePatches for instance n: its missing patches (MissingCount
    of them: the first Critical, then Important security updates up to the
    security count, then Moderate bug fixes) and three installed ones.  One
    state is written in the model's upper-snake form ("MISSING") and the rest
    in the CamelCase real answers use, as the API is inconsistent."""
    crit = sec = missing = 0
    if cfg.breaching and n in SSM_CRITICAL:
        crit, sec, missing, _ = SSM_CRITICAL[n]
    out = []
    for k in range(missing):
        if k < crit:
            severity, cls = "Critical", "SecurityUpdates"
        elif k < sec:
            severity, cls = "Important", "SecurityUpdates"
        else:
            severity, cls = "Moderate", "Bugfix"
        kb = "KB5%02d%04d" % (n, k)
        out.append({
            "Title": "2026-11 %s update for %s (%s)" % (severity, ssm_instance_id(n), kb),
            "KBId": kb, "Classification": cls, "Severity": severity,
            "State": "MISSING" if (n == 22 and k == 0) else "Missing",
            "InstalledTime": 0.0,
            "CVEIds": "CVE-2026-%04d" % (1000 + n * 10 + k),
        })
    for k in range(3):
        kb = "KB4%02d%04d" % (n, k)
        out.append({
            "Title": "2026-10 cumulative update (%s)" % kb, "KBId": kb,
            "Classification": "SecurityUpdates", "Severity": "Important",
            "State": "Installed", "InstalledTime": float(cfg.now - 20 * DAY - k),
        })
    return out


# ==========================================================================
# AWS Backup

BACKUP_RESOURCES = [  # (ResourceType, ARN suffix, name)
    ("EC2", "ec2:{r}:{a}:instance/i-0a1b2c3d4e5f00001", "app-server-1"),
    ("EC2", "ec2:{r}:{a}:instance/i-0a1b2c3d4e5f00002", "app-server-2"),
    ("EC2", "ec2:{r}:{a}:instance/i-0a1b2c3d4e5f00003", "app-server-3"),
    ("EBS", "ec2:{r}:{a}:volume/vol-0a1b2c3d4e5f00004", "data-volume-4"),
    ("EBS", "ec2:{r}:{a}:volume/vol-0a1b2c3d4e5f00005", "data-volume-5"),
    ("EBS", "ec2:{r}:{a}:volume/vol-0a1b2c3d4e5f00006", "data-volume-6"),
    ("RDS", "rds:{r}:{a}:db:app-db-7", "app-db-7"),
    ("RDS", "rds:{r}:{a}:db:app-db-8", "app-db-8"),
    ("EFS", "elasticfilesystem:{r}:{a}:file-system/fs-0a1b2c3d00000009", "shared-fs-9"),
    ("DynamoDB", "dynamodb:{r}:{a}:table/orders-10", "orders-10"),
    ("S3", "s3:::ismsd-demo-bucket-11", "ismsd-demo-bucket-11"),
    ("EBS", "ec2:{r}:{a}:volume/vol-0a1b2c3d4e5f00012", "data-volume-12"),
]
BACKUP_DAYS = 7
# breaching: (resource number, days ago) -> state
BACKUP_BAD = {(9, 1): "FAILED", (9, 2): "FAILED", (3, 5): "FAILED",
              (10, 1): "ABORTED", (11, 1): "EXPIRED"}
BACKUP_GAP_RESOURCE, BACKUP_GAP_DAYS = 12, (1, 2, 3)   # no jobs at all on these days


def backup_resource_arn(cfg, r):
    rtype, suffix, name = BACKUP_RESOURCES[r - 1]
    return "arn:aws:" + suffix.format(r=cfg.region, a=ACCOUNT)


def backup_jobs(cfg):
    """All jobs, newest first (by CreationDate)."""
    vault_arn = "arn:aws:backup:%s:%s:backup-vault:Default" % (cfg.region, ACCOUNT)
    plan_id = det_uuid("backup-plan")
    role = "arn:aws:iam::%s:role/service-role/AWSBackupDefaultServiceRole" % ACCOUNT
    jobs = []
    for r in range(1, len(BACKUP_RESOURCES) + 1):
        rtype, _s, name = BACKUP_RESOURCES[r - 1]
        for d in range(1, BACKUP_DAYS + 1):
            if cfg.breaching and r == BACKUP_GAP_RESOURCE and d in BACKUP_GAP_DAYS:
                continue
            state = BACKUP_BAD.get((r, d), "COMPLETED") if cfg.breaching else "COMPLETED"
            created = cfg.now - d * DAY + 3 * 3600 + 60 * r
            jid = det_uuid("backup-job", cfg.scenario, r, d).upper()
            job = {
                "AccountId": ACCOUNT,
                "BackupJobId": jid,
                "BackupVaultName": "Default",
                "BackupVaultArn": vault_arn,
                "ResourceArn": backup_resource_arn(cfg, r),
                "ResourceName": name,
                "ResourceType": rtype,
                "CreationDate": created + 0.123,
                "State": state,
                "IamRoleArn": role,
                "CreatedBy": {
                    "BackupPlanId": plan_id,
                    "BackupPlanArn": "arn:aws:backup:%s:%s:backup-plan:%s"
                                     % (cfg.region, ACCOUNT, plan_id),
                    "BackupPlanVersion": "ZjQ2ZTI5YWQtZDg5Yi00MzYzLWJmZTAtMDI1MzhlMDhjYjEz",
                    "BackupRuleId": det_uuid("backup-rule"),
                },
                "StartBy": created + 8 * 3600 + 0.123,
                "InitiationDate": created + 0.123,
                "IsEncrypted": True,
                "BackupType": "",
            }
            if state == "COMPLETED":
                job.update({
                    "CompletionDate": created + 600 + 37 * r + 0.456,
                    "PercentDone": "100.0",
                    "BackupSizeInBytes": 1048576 * (100 + 13 * r),
                    "BytesTransferred": 1048576 * (100 + 13 * r),
                    "RecoveryPointArn": "arn:aws:backup:%s:%s:recovery-point:%s"
                                        % (cfg.region, ACCOUNT,
                                           det_uuid("rp", cfg.scenario, r, d)),
                })
            elif state == "FAILED":
                job.update({"CompletionDate": created + 120 + 0.456, "PercentDone": "0.0",
                            "StatusMessage": "An internal error occurred: the backup "
                                             "could not be created (fake)."})
            elif state == "ABORTED":
                job.update({"CompletionDate": created + 300 + 0.456, "PercentDone": "12.0",
                            "StatusMessage": "Backup job was aborted by a user (fake)."})
            elif state == "EXPIRED":
                job.update({"StatusMessage": "Backup job expired: it did not start "
                                             "within the start window (fake)."})
            jobs.append(job)
    # One on-demand job still running (both scenarios).
    created = cfg.now - 15 * 60
    jobs.append({
        "AccountId": ACCOUNT,
        "BackupJobId": det_uuid("backup-job", cfg.scenario, "running").upper(),
        "BackupVaultName": "Default", "BackupVaultArn": vault_arn,
        "ResourceArn": backup_resource_arn(cfg, 1), "ResourceName": BACKUP_RESOURCES[0][2],
        "ResourceType": "EC2", "CreationDate": created + 0.123, "State": "RUNNING",
        "PercentDone": "42.0", "IamRoleArn": role, "StartBy": created + 3600 + 0.123,
        "InitiationDate": created + 0.123, "IsEncrypted": True, "BackupType": "",
        "CreatedBy": {},
    })
    jobs.sort(key=lambda j: (-j["CreationDate"], j["BackupJobId"]))
    return jobs


# ==========================================================================
# Event streams: event i happens at a time that never decreases with i and
# lies in [now - 24 h, now). Special ("bad") events of the breaching scenario
# replace ordinary events at evenly spread indices.

def _lower_bound(n, key, value):
    """Smallest i in [0, n) with key(i) >= value (n if none)."""
    lo, hi = 0, n
    while lo < hi:
        mid = (lo + hi) // 2
        if key(mid) < value:
            lo = mid + 1
        else:
            hi = mid
    return lo


class EventStream:
    unit = 1            # time units per second
    min_events = 20

    def __init__(self, cfg):
        self.cfg = cfg
        self.n = cfg.events
        if self.n < 1:
            raise ValueError("events must be >= 1")
        if cfg.breaching and self.n < self.min_events:
            raise ValueError("breaching scenario needs --events >= %d" % self.min_events)
        self.window = DAY * self.unit
        self.start = (cfg.now - DAY) * self.unit
        self.specials = {}

    jitter = False      # sub-second spread that keeps times non-decreasing

    def time_of(self, i):
        t = self.start + (i * self.window) // self.n
        if self.jitter:
            t += h64("jitter", i) % max(1, (self.window // self.n) // 2)
        return t

    def index_range(self, t_min=None, t_max=None):
        """Indices [lo, hi) of events with t_min <= time <= t_max (in units)."""
        lo = 0 if t_min is None else _lower_bound(self.n, self.time_of, t_min)
        hi = self.n if t_max is None else _lower_bound(self.n, self.time_of, t_max + 1)
        return lo, max(lo, hi)

    def seed(self, i):
        return h64(self.cfg.scenario, type(self).__name__, i)


# -------------------------------------------------------------------------- CloudTrail

CT_USERS = {
    "alice": "AIDAALICE0000000EXAMPLE",
    "bob": "AIDABOB00000000EXAMPLE",
    "mallory": "AIDAMALLORY0000EXAMPLE",
    "ci-deploy": "AIDACIDEPLOY000EXAMPLE",
}
CT_SPECIALS = ["StopLogging", "DeleteTrail", "UpdateTrail", "ConsoleLogin-noMFA",
               "ConsoleLogin-root", "CreateAccessKey-root", "AttachUserPolicy",
               "PutUserPolicy", "AuthorizeSecurityGroupIngress-world"]
CT_ORDINARY = ["DescribeInstances", "RunInstances", "CreateTags", "StartInstances",
               "StopInstances", "AssumeRole", "ConsoleLogin-mfa", "ConsoleLogin-failed",
               "GetTrailStatus", "DescribeTrails", "AuthorizeSecurityGroupIngress-private",
               "CreateBucket", "CreateLogGroup", "ListUsers", "CreateSnapshot"]
TRAIL_NAME = "org-trail"


def _iam_user(name):
    return {"type": "IAMUser", "principalId": CT_USERS[name],
            "arn": "arn:aws:iam::%s:user/%s" % (ACCOUNT, name), "accountId": ACCOUNT,
            "accessKeyId": "AKIA%s" % det_hex(16, "ak", name).upper(), "userName": name}


def _assumed_role(session):
    return {"type": "AssumedRole",
            "principalId": "AROAOPSROLE00000EXAMPLE:%s" % session,
            "arn": "arn:aws:sts::%s:assumed-role/OpsRole/%s" % (ACCOUNT, session),
            "accountId": ACCOUNT,
            "accessKeyId": "ASIA%s" % det_hex(16, "asia", session).upper(),
            "sessionContext": {"sessionIssuer": {
                "type": "Role", "principalId": "AROAOPSROLE00000EXAMPLE",
                "arn": "arn:aws:iam::%s:role/OpsRole" % ACCOUNT, "accountId": ACCOUNT,
                "userName": "OpsRole"},
                "attributes": {"creationDate": "2026-11-23T00:00:00Z",
                               "mfaAuthenticated": "false"}}}


def _root():
    return {"type": "Root", "principalId": ACCOUNT,
            "arn": "arn:aws:iam::%s:root" % ACCOUNT, "accountId": ACCOUNT}


def _sg_ingress(cidr, port):
    return {"groupId": "sg-0a1b2c3d4e5f00001", "ipPermissions": {"items": [{
        "ipProtocol": "tcp", "fromPort": port, "toPort": port, "groups": {},
        "ipRanges": {"items": [{"cidrIp": cidr}]}, "ipv6Ranges": {},
        "prefixListIds": {}}]}}


class CloudTrailStream(EventStream):
    def __init__(self, cfg):
        EventStream.__init__(self, cfg)
        if cfg.breaching:
            k = len(CT_SPECIALS)
            for j in range(k):
                self.specials[(j + 1) * self.n // (k + 1)] = CT_SPECIALS[j]

    def kind_of(self, i):
        sp = self.specials.get(i)
        if sp:
            return sp
        return CT_ORDINARY[self.seed(i) % len(CT_ORDINARY)]

    @staticmethod
    def name_of_kind(kind):
        return kind.split("-")[0]

    def event(self, i):
        cfg = self.cfg
        kind = self.kind_of(i)
        t = self.time_of(i)
        eid = det_uuid("ct", cfg.scenario, i)
        seed = self.seed(i)
        region = cfg.region
        ip = "203.0.113.%d" % (10 + seed % 200)
        ua = "aws-cli/2.17.0 Python/3.11.6 Linux/6.1"
        trail_arn = "arn:aws:cloudtrail:%s:%s:trail/%s" % (region, ACCOUNT, TRAIL_NAME)
        source, read_only, ident = "ec2.amazonaws.com", False, _assumed_role("ops-session")
        req, resp, extra, etype = None, None, None, "AwsApiCall"
        resources, err = [], None
        name = self.name_of_kind(kind)
        if kind == "DescribeInstances":
            read_only, req = True, {"instancesSet": {}, "filterSet": {}}
        elif kind == "RunInstances":
            iid = "i-0%s" % det_hex(16, "run", cfg.scenario, i)
            req = {"instanceType": "t3.micro", "minCount": 1, "maxCount": 1}
            resp = {"instancesSet": {"items": [{"instanceId": iid}]}}
            resources = [{"ResourceType": "AWS::EC2::Instance", "ResourceName": iid}]
        elif kind == "CreateTags":
            req = {"resourcesSet": {"items": [{"resourceId": "i-0a1b2c3d4e5f00003"}]},
                   "tagSet": {"items": [{"key": "owner", "value": "ops"}]}}
            resp = {"_return": True}
            resources = [{"ResourceType": "AWS::EC2::Instance",
                          "ResourceName": "i-0a1b2c3d4e5f00003"}]
        elif kind in ("StartInstances", "StopInstances"):
            req = {"instancesSet": {"items": [{"instanceId": "i-0a1b2c3d4e5f00002"}]}}
            resources = [{"ResourceType": "AWS::EC2::Instance",
                          "ResourceName": "i-0a1b2c3d4e5f00002"}]
        elif kind == "AssumeRole":
            source, ident = "sts.amazonaws.com", _iam_user("ci-deploy")
            req = {"roleArn": "arn:aws:iam::%s:role/OpsRole" % ACCOUNT,
                   "roleSessionName": "ops-session", "durationSeconds": 3600}
            resources = [{"ResourceType": "AWS::IAM::Role",
                          "ResourceName": "arn:aws:iam::%s:role/OpsRole" % ACCOUNT}]
        elif kind.startswith("ConsoleLogin"):
            source, etype, ua = "signin.amazonaws.com", "AwsConsoleSignIn", \
                "Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0"
            mfa, ok = "Yes", True
            if kind == "ConsoleLogin-mfa":
                ident = _iam_user("alice")
            elif kind == "ConsoleLogin-failed":
                ident, mfa, ok = _iam_user("bob"), "No", False
            elif kind == "ConsoleLogin-noMFA":
                ident, mfa, ip = _iam_user("mallory"), "No", "198.51.100.23"
            else:  # root
                ident, ip = _root(), "198.51.100.24"
            ident = dict(ident)
            ident.pop("accessKeyId", None)
            resp = {"ConsoleLogin": "Success" if ok else "Failure"}
            extra = {"LoginTo": "https://console.aws.amazon.com/console/home",
                     "MobileVersion": "No", "MFAUsed": mfa}
            if mfa == "Yes":
                extra["MfaType"] = "Virtual MFA"
            if not ok:
                err = "Failed authentication"
        elif kind in ("GetTrailStatus", "DescribeTrails"):
            source, read_only = "cloudtrail.amazonaws.com", True
            req = {"name": trail_arn} if kind == "GetTrailStatus" else {"includeShadowTrails": True}
        elif kind == "AuthorizeSecurityGroupIngress-private":
            req = _sg_ingress("10.0.0.0/16", 443)
            resp = {"_return": True}
        elif kind == "CreateBucket":
            source = "s3.amazonaws.com"
            req = {"bucketName": "ismsd-artifacts-%d" % (seed % 1000), "Host": "s3.amazonaws.com"}
            resources = [{"ResourceType": "AWS::S3::Bucket",
                          "ResourceName": "ismsd-artifacts-%d" % (seed % 1000)}]
        elif kind == "CreateLogGroup":
            source = "logs.amazonaws.com"
            req = {"logGroupName": "/app/service-%d" % (seed % 50)}
        elif kind == "ListUsers":
            source, read_only = "iam.amazonaws.com", True
        elif kind == "CreateSnapshot":
            req = {"volumeId": "vol-0a1b2c3d4e5f00004", "description": "nightly"}
            resources = [{"ResourceType": "AWS::EC2::Volume",
                          "ResourceName": "vol-0a1b2c3d4e5f00004"}]
        # ---- breaching-only events
        elif kind in ("StopLogging", "DeleteTrail", "UpdateTrail"):
            source, ident, ip = "cloudtrail.amazonaws.com", _iam_user("mallory"), "198.51.100.23"
            tname = trail_arn if kind != "DeleteTrail" else \
                "arn:aws:cloudtrail:%s:%s:trail/secondary-trail" % (region, ACCOUNT)
            req = {"name": tname}
            if kind == "UpdateTrail":
                req["s3BucketName"] = "mallory-exfil-bucket"
                req["includeGlobalServiceEvents"] = False
                resp = {"name": TRAIL_NAME, "s3BucketName": "mallory-exfil-bucket",
                        "includeGlobalServiceEvents": False, "isMultiRegionTrail": False,
                        "trailARN": trail_arn, "logFileValidationEnabled": False,
                        "isOrganizationTrail": False}
            resources = [{"ResourceType": "AWS::CloudTrail::Trail", "ResourceName": tname}]
        elif kind == "CreateAccessKey-root":
            source, ident, ip = "iam.amazonaws.com", _root(), "198.51.100.24"
            ident = dict(ident, accessKeyId="ASIAROOTSESSIONEXAMPLE")
            resp = {"accessKey": {"accessKeyId": "AKIAROOTKEY00EXAMPLE", "status": "Active",
                                  "createDate": iso_z(t).replace("Z", "").replace("T", " ")}}
        elif kind == "AttachUserPolicy":
            source, ident, ip = "iam.amazonaws.com", _iam_user("mallory"), "198.51.100.23"
            req = {"userName": "mallory",
                   "policyArn": "arn:aws:iam::aws:policy/AdministratorAccess"}
            resources = [{"ResourceType": "AWS::IAM::Policy",
                          "ResourceName": "arn:aws:iam::aws:policy/AdministratorAccess"},
                         {"ResourceType": "AWS::IAM::User", "ResourceName": "mallory"}]
        elif kind == "PutUserPolicy":
            source, ident, ip = "iam.amazonaws.com", _iam_user("mallory"), "198.51.100.23"
            req = {"userName": "mallory", "policyName": "inline-admin",
                   "policyDocument": json.dumps({"Version": "2012-10-17", "Statement": [
                       {"Effect": "Allow", "Action": "*", "Resource": "*"}]})}
            resources = [{"ResourceType": "AWS::IAM::User", "ResourceName": "mallory"}]
        elif kind == "AuthorizeSecurityGroupIngress-world":
            ident, ip = _iam_user("mallory"), "198.51.100.23"
            req = _sg_ingress("0.0.0.0/0", 22)
            resp = {"_return": True, "securityGroupRuleSet": {"items": [{
                "groupId": "sg-0a1b2c3d4e5f00001", "isEgress": False, "ipProtocol": "tcp",
                "fromPort": 22, "toPort": 22, "cidrIpv4": "0.0.0.0/0"}]}}
            resources = [{"ResourceType": "AWS::EC2::SecurityGroup",
                          "ResourceName": "sg-0a1b2c3d4e5f00001"}]
        inner = {
            "eventVersion": "1.09",
            "userIdentity": ident,
            "eventTime": iso_z(t),
            "eventSource": source,
            "eventName": name,
            "awsRegion": "us-east-1" if source in ("signin.amazonaws.com",
                                                   "iam.amazonaws.com") else region,
            "sourceIPAddress": ip,
            "userAgent": ua,
            "requestParameters": req,
            "responseElements": resp,
        }
        if extra is not None:
            inner["additionalEventData"] = extra
        if err:
            inner["errorMessage"] = err
        inner.update({
            "requestID": det_uuid("ct-req", cfg.scenario, i),
            "eventID": eid,
            "readOnly": read_only,
            "eventType": etype,
            "managementEvent": True,
            "recipientAccountId": ACCOUNT,
            "eventCategory": "Management",
        })
        if ident["type"] == "Root":
            username = "root"
        elif ident["type"] == "AssumedRole":
            username = ident["arn"].rsplit("/", 1)[1]
        else:
            username = ident["userName"]
        ev = {"EventId": eid, "EventName": name, "ReadOnly": "true" if read_only else "false"}
        if ident.get("accessKeyId"):
            ev["AccessKeyId"] = ident["accessKeyId"]
        ev.update({"EventTime": float(t), "EventSource": source, "Username": username,
                   "Resources": resources,
                   "CloudTrailEvent": json.dumps(inner, separators=(",", ":"))})
        return ev

    def trail_status(self):
        cfg = self.cfg
        if not cfg.breaching:
            return {"IsLogging": True, "LatestDeliveryTime": float(cfg.now - 300),
                    "StartLoggingTime": float(cfg.now - 400 * DAY),
                    "LatestDigestDeliveryTime": float(cfg.now - 1800),
                    "LatestDeliveryAttemptTime": iso_z(cfg.now - 300),
                    "LatestNotificationAttemptTime": "",
                    "LatestNotificationAttemptSucceeded": "",
                    "LatestDeliveryAttemptSucceeded": iso_z(cfg.now - 300),
                    "TimeLoggingStarted": iso_z(cfg.now - 400 * DAY),
                    "TimeLoggingStopped": ""}
        stop_idx = [i for i, k in self.specials.items() if k == "StopLogging"][0]
        stop = self.time_of(stop_idx)
        return {"IsLogging": False, "LatestDeliveryTime": float(stop + 60),
                "StartLoggingTime": float(cfg.now - 400 * DAY),
                "StopLoggingTime": float(stop),
                "LatestDeliveryAttemptTime": iso_z(stop + 60),
                "LatestNotificationAttemptTime": "",
                "LatestNotificationAttemptSucceeded": "",
                "LatestDeliveryAttemptSucceeded": iso_z(stop + 60),
                "TimeLoggingStarted": iso_z(cfg.now - 400 * DAY),
                "TimeLoggingStopped": iso_z(stop)}

    def trails(self):
        cfg = self.cfg
        return [{"Name": TRAIL_NAME, "S3BucketName": "ismsd-cloudtrail-logs",
                 "IncludeGlobalServiceEvents": True, "IsMultiRegionTrail": True,
                 "HomeRegion": cfg.region,
                 "TrailARN": "arn:aws:cloudtrail:%s:%s:trail/%s" % (cfg.region, ACCOUNT,
                                                                    TRAIL_NAME),
                 "LogFileValidationEnabled": not cfg.breaching,
                 "HasCustomEventSelectors": False, "HasInsightSelectors": False,
                 "IsOrganizationTrail": False}]


# -------------------------------------------------------------------------- Azure

AZ_SPECIALS = ["diagnosticSettings-delete", "roleAssignments-write", "nsg-any-3389",
               "nsg-world-22"]
AZ_ORDINARY = ["vm-start", "vm-write", "deployment-write", "storage-listkeys",
               "nsg-private-443", "diagnosticSettings-write", "webapp-restart",
               "disk-write"]
AZ_OWNER_ROLE = "8e3af657-a8ff-443c-a75c-2fe8c4bcb635"
NET_TICKS_EPOCH = 621355968000000000   # .NET ticks at 1970-01-01


class AzureStream(EventStream):
    """Each operation j is two events: 2j = Started/BeginRequest,
    2j+1 = Succeeded/EndRequest. Time unit: 100 ns ticks."""
    unit = 10 ** 7
    jitter = True

    def __init__(self, cfg):
        EventStream.__init__(self, cfg)
        ops = self.n // 2
        if cfg.breaching:
            k = len(AZ_SPECIALS)
            for j in range(k):
                self.specials[(j + 1) * ops // (k + 1)] = AZ_SPECIALS[j]

    def op_kind(self, j):
        sp = self.specials.get(j)
        if sp:
            return sp
        return AZ_ORDINARY[h64(self.cfg.scenario, "azop", j) % len(AZ_ORDINARY)]

    def _op(self, j):
        cfg = self.cfg
        kind = self.op_kind(j)
        sub = "/subscriptions/%s" % cfg.subscription
        seed = h64(cfg.scenario, "azop", j)
        caller = ["alice@contoso.example", "deploy-pipeline@contoso.example",
                  "bob@contoso.example"][seed % 3]
        body = None
        method = "PUT"
        rg = "rg-app"
        if kind == "vm-start":
            res = "%s/resourceGroups/rg-app/providers/Microsoft.Compute/virtualMachines/vm-app-%02d" % (sub, seed % 8)
            op, method = "Microsoft.Compute/virtualMachines/start/action", "POST"
        elif kind == "vm-write":
            res = "%s/resourceGroups/rg-app/providers/Microsoft.Compute/virtualMachines/vm-app-%02d" % (sub, seed % 8)
            op = "Microsoft.Compute/virtualMachines/write"
        elif kind == "deployment-write":
            res = "%s/resourceGroups/rg-app/providers/Microsoft.Resources/deployments/release-%d" % (sub, seed % 1000)
            op = "Microsoft.Resources/deployments/write"
        elif kind == "storage-listkeys":
            rg = "rg-data"
            res = "%s/resourceGroups/rg-data/providers/Microsoft.Storage/storageAccounts/stismsddata" % sub
            op, method = "Microsoft.Storage/storageAccounts/listKeys/action", "POST"
        elif kind == "nsg-private-443":
            res = "%s/resourceGroups/rg-app/providers/Microsoft.Network/networkSecurityGroups/nsg-app/securityRules/allow-https-vnet" % sub
            op = "Microsoft.Network/networkSecurityGroups/securityRules/write"
            body = {"properties": {"protocol": "Tcp", "sourcePortRange": "*",
                                   "destinationPortRange": "443",
                                   "sourceAddressPrefix": "10.0.0.0/16",
                                   "destinationAddressPrefix": "*", "access": "Allow",
                                   "priority": 200, "direction": "Inbound"}}
        elif kind == "diagnosticSettings-write":
            rg = "rg-security"
            res = "%s/resourceGroups/rg-security/providers/Microsoft.KeyVault/vaults/kv-prod/providers/Microsoft.Insights/diagnosticSettings/send-to-siem" % sub
            op = "Microsoft.Insights/diagnosticSettings/write"
            body = {"properties": {"workspaceId": "%s/resourceGroups/rg-security/providers/Microsoft.OperationalInsights/workspaces/law-siem" % sub,
                                   "logs": [{"categoryGroup": "audit", "enabled": True}]}}
        elif kind == "webapp-restart":
            rg = "rg-web"
            res = "%s/resourceGroups/rg-web/providers/Microsoft.Web/sites/app-portal" % sub
            op, method = "Microsoft.Web/sites/restart/action", "POST"
        elif kind == "disk-write":
            res = "%s/resourceGroups/rg-app/providers/Microsoft.Compute/disks/disk-app-%02d" % (sub, seed % 8)
            op = "Microsoft.Compute/disks/write"
        elif kind == "diagnosticSettings-delete":
            rg, caller = "rg-security", "mallory@contoso.example"
            res = "%s/resourceGroups/rg-security/providers/Microsoft.KeyVault/vaults/kv-prod/providers/Microsoft.Insights/diagnosticSettings/send-to-siem" % sub
            op, method = "Microsoft.Insights/diagnosticSettings/delete", "DELETE"
        elif kind == "roleAssignments-write":
            rg, caller = "", "mallory@contoso.example"
            res = "%s/providers/Microsoft.Authorization/roleAssignments/%s" % (sub, det_uuid("ra", j))
            op = "Microsoft.Authorization/roleAssignments/write"
            body = {"properties": {"roleDefinitionId": "%s/providers/Microsoft.Authorization/roleDefinitions/%s" % (sub, AZ_OWNER_ROLE),
                                   "principalId": "9f1e8d7c-6b5a-4938-8271-605f4e3d2c1b",
                                   "principalType": "User", "scope": sub}}
        else:  # nsg-any-3389 / nsg-world-22
            caller = "mallory@contoso.example"
            world = kind == "nsg-world-22"
            rule = "allow-ssh-world" if world else "allow-rdp-any"
            res = "%s/resourceGroups/rg-app/providers/Microsoft.Network/networkSecurityGroups/nsg-app/securityRules/%s" % (sub, rule)
            op = "Microsoft.Network/networkSecurityGroups/securityRules/write"
            body = {"properties": {"protocol": "Tcp", "sourcePortRange": "*",
                                   "destinationPortRange": "22" if world else "3389",
                                   "sourceAddressPrefix": "0.0.0.0/0" if world else "*",
                                   "destinationAddressPrefix": "*", "access": "Allow",
                                   "priority": 100, "direction": "Inbound"}}
        return kind, res, op, method, body, caller, rg

    def event(self, i):
        cfg = self.cfg
        j, phase = divmod(i, 2)
        kind, res, op, method, body, caller, rg = self._op(j)
        ticks = self.time_of(i)
        sub_ticks = ticks + (15 + h64(cfg.scenario, "azsub", i) % 75) * 10 ** 7
        provider, rtype = _az_provider_type(res)
        eid = det_uuid("az-ev", cfg.scenario, i)
        corr = det_uuid("az-corr", cfg.scenario, j)
        started = phase == 0
        props = {"eventCategory": "Administrative", "entity": res, "message": op,
                 "hierarchy": "%s/%s" % (cfg.tenant, cfg.subscription)}
        if started:
            if body is not None:
                props["requestbody"] = json.dumps(body, separators=(",", ":"))
        else:
            code = "OK" if method in ("POST", "DELETE") else "Created"
            props["statusCode"] = code
            props["serviceRequestId"] = det_uuid("az-sr", cfg.scenario, j)
            if body is not None:
                props["responseBody"] = json.dumps(
                    dict(body, id=res, name=res.rsplit("/", 1)[1]), separators=(",", ":"))
        ev = {
            "authorization": {"action": op, "scope": res},
            "caller": caller,
            "channels": "Operation",
            "claims": {"aud": "https://management.azure.com/",
                       "iss": "https://sts.windows.net/%s/" % cfg.tenant,
                       "http://schemas.xmlsoap.org/ws/2005/05/identity/claims/upn": caller,
                       "ipaddr": "203.0.113.%d" % (10 + j % 200)},
            "correlationId": corr,
            "description": "",
            "eventDataId": eid,
            "eventName": {"value": "BeginRequest" if started else "EndRequest",
                          "localizedValue": "Begin request" if started else "End request"},
            "category": {"value": "Administrative", "localizedValue": "Administrative"},
            "httpRequest": {"clientRequestId": det_uuid("az-cr", cfg.scenario, j),
                            "clientIpAddress": "203.0.113.%d" % (10 + j % 200),
                            "method": method},
            "id": "%s/events/%s/ticks/%d" % (res, eid, ticks + NET_TICKS_EPOCH),
            "level": "Informational",
            "resourceGroupName": rg,
            "resourceProviderName": {"value": provider, "localizedValue": provider},
            "resourceId": res,
            "resourceType": {"value": rtype, "localizedValue": rtype},
            "operationId": det_uuid("az-op", cfg.scenario, j),
            "operationName": {"value": op, "localizedValue": op},
            "properties": props,
            "status": {"value": "Started" if started else "Succeeded",
                       "localizedValue": "Started" if started else "Succeeded"},
            "subStatus": {"value": "" if started else props["statusCode"],
                          "localizedValue": "" if started else
                          ("%s (HTTP Status Code: %d)" % (props["statusCode"],
                                                          200 if props["statusCode"] == "OK" else 201))},
            "eventTimestamp": iso_ns(ticks * 100, 7),
            "submissionTimestamp": iso_ns(sub_ticks * 100, 7),
            "subscriptionId": cfg.subscription,
            "tenantId": cfg.tenant,
        }
        return ev


def _az_provider_type(resource_id):
    """'.../providers/Microsoft.Network/networkSecurityGroups/nsg/securityRules/r'
    -> ('Microsoft.Network', 'Microsoft.Network/networkSecurityGroups/securityRules')"""
    tail = resource_id.rsplit("/providers/", 1)[1].split("/")
    return tail[0], "/".join([tail[0]] + tail[1::2])


# -------------------------------------------------------------------------- GCP

GCP_SPECIALS = ["DeleteSink", "UpdateSink", "SetIamPolicy", "firewall-world"]
GCP_ORDINARY = ["instances-start", "instances-stop", "firewall-private", "buckets-create",
                "CreateServiceAccount", "disks-createSnapshot"]
GCP_LOG = "cloudaudit.googleapis.com%2Factivity"


class GcpStream(EventStream):
    """Time unit: nanoseconds."""
    unit = 10 ** 9
    jitter = True

    def __init__(self, cfg):
        EventStream.__init__(self, cfg)
        if cfg.breaching:
            k = len(GCP_SPECIALS)
            for j in range(k):
                self.specials[(j + 1) * self.n // (k + 1)] = GCP_SPECIALS[j]
        self.log_name = "projects/%s/logs/%s" % (cfg.project, GCP_LOG)

    def kind_of(self, i):
        sp = self.specials.get(i)
        if sp:
            return sp
        return GCP_ORDINARY[self.seed(i) % len(GCP_ORDINARY)]

    _METHOD = {
        "instances-start": ("compute.googleapis.com", "v1.compute.instances.start"),
        "instances-stop": ("compute.googleapis.com", "v1.compute.instances.stop"),
        "firewall-private": ("compute.googleapis.com", "v1.compute.firewalls.insert"),
        "firewall-world": ("compute.googleapis.com", "v1.compute.firewalls.insert"),
        "buckets-create": ("storage.googleapis.com", "storage.buckets.create"),
        "CreateServiceAccount": ("iam.googleapis.com",
                                 "google.iam.admin.v1.CreateServiceAccount"),
        "disks-createSnapshot": ("compute.googleapis.com", "v1.compute.disks.createSnapshot"),
        "DeleteSink": ("logging.googleapis.com", "google.logging.v2.ConfigServiceV2.DeleteSink"),
        "UpdateSink": ("logging.googleapis.com", "google.logging.v2.ConfigServiceV2.UpdateSink"),
        "SetIamPolicy": ("cloudresourcemanager.googleapis.com", "SetIamPolicy"),
    }

    def method_of(self, i):
        return self._METHOD[self.kind_of(i)]

    def entry(self, i):
        cfg = self.cfg
        p = cfg.project
        kind = self.kind_of(i)
        service, method = self._METHOD[kind]
        seed = self.seed(i)
        ns = self.time_of(i)
        principal = ["alice@example.com", "deployer@%s.iam.gserviceaccount.com" % p,
                     "bob@example.com"][seed % 3]
        req = resp = service_data = None
        zone = "europe-west1-b"
        if kind in ("instances-start", "instances-stop", "disks-createSnapshot"):
            inst = "vm-app-%02d" % (seed % 8)
            if kind == "disks-createSnapshot":
                rname = "projects/%s/zones/%s/disks/%s" % (p, zone, inst)
                resource = {"type": "gce_disk", "labels": {"project_id": p, "zone": zone,
                                                           "disk_id": str(1000 + seed % 8)}}
                req = {"@type": "type.googleapis.com/compute.disks.createSnapshot",
                       "name": "snap-%d" % (seed % 10000)}
            else:
                rname = "projects/%s/zones/%s/instances/%s" % (p, zone, inst)
                resource = {"type": "gce_instance",
                            "labels": {"project_id": p, "zone": zone,
                                       "instance_id": str(2000 + seed % 8)}}
                req = {"@type": "type.googleapis.com/compute.instances.%s"
                                % kind.split("-")[1]}
            resp = {"@type": "type.googleapis.com/operation", "status": "RUNNING",
                    "operationType": kind.split("-")[1]}
        elif kind in ("firewall-private", "firewall-world"):
            world = kind == "firewall-world"
            fw = "allow-ssh-world" if world else "allow-internal-%d" % (seed % 100)
            rname = "projects/%s/global/firewalls/%s" % (p, fw)
            resource = {"type": "gce_firewall_rule",
                        "labels": {"project_id": p, "firewall_rule_id": str(3000 + seed % 1000)}}
            req = {"@type": "type.googleapis.com/compute.firewalls.insert", "name": fw,
                   "network": "https://www.googleapis.com/compute/v1/projects/%s/global/networks/default" % p,
                   "direction": "INGRESS", "priority": "1000",
                   "sourceRanges": ["0.0.0.0/0"] if world else ["10.128.0.0/9"],
                   "alloweds": [{"IPProtocol": "tcp", "ports": ["22" if world else "443"]}]}
            resp = {"@type": "type.googleapis.com/operation", "status": "RUNNING",
                    "operationType": "insert"}
            if world:
                principal = "mallory@example.com"
        elif kind == "buckets-create":
            b = "ismsd-artifacts-%d" % (seed % 1000)
            rname = "projects/_/buckets/%s" % b
            resource = {"type": "gcs_bucket", "labels": {"project_id": p, "bucket_name": b,
                                                         "location": "europe-west1"}}
            req = {"@type": "type.googleapis.com/storage.buckets.create"}
        elif kind == "CreateServiceAccount":
            rname = "projects/%s/serviceAccounts/svc-%d@%s.iam.gserviceaccount.com" % (p, seed % 100, p)
            resource = {"type": "service_account",
                        "labels": {"project_id": p, "email_id": "svc-%d@%s.iam.gserviceaccount.com" % (seed % 100, p),
                                   "unique_id": str(100000000000000000000 + seed % 100)}}
            req = {"@type": "type.googleapis.com/google.iam.admin.v1.CreateServiceAccountRequest",
                   "account_id": "svc-%d" % (seed % 100), "name": "projects/%s" % p}
        elif kind in ("DeleteSink", "UpdateSink"):
            principal = "mallory@example.com"
            rname = "projects/%s/sinks/siem-export" % p
            resource = {"type": "logging_sink", "labels": {"project_id": p, "name": "siem-export",
                                                           "destination": ""}}
            if kind == "DeleteSink":
                req = {"@type": "type.googleapis.com/google.logging.v2.DeleteSinkRequest",
                       "sinkName": rname}
            else:
                req = {"@type": "type.googleapis.com/google.logging.v2.UpdateSinkRequest",
                       "sinkName": rname, "updateMask": "filter,destination",
                       "sink": {"name": "siem-export", "filter": "severity>=EMERGENCY",
                                "destination": "storage.googleapis.com/mallory-exfil-bucket"}}
        else:  # SetIamPolicy
            principal = "mallory@example.com"
            rname = "projects/%s" % p
            resource = {"type": "project", "labels": {"project_id": p}}
            req = {"@type": "type.googleapis.com/google.iam.v1.SetIamPolicyRequest",
                   "resource": p, "policy": {"bindings": [
                       {"role": "roles/owner", "members": ["user:mallory@example.com"]},
                       {"role": "roles/logging.viewer",
                        "members": ["serviceAccount:ismsd-collector@%s.iam.gserviceaccount.com" % p]}],
                       "etag": "BwYq1aB2c3Q="}}
            resp = {"@type": "type.googleapis.com/google.iam.v1.Policy", "etag": "BwYq1bC3d4R="}
            service_data = {"@type": "type.googleapis.com/google.iam.v1.logging.AuditData",
                            "policyDelta": {"bindingDeltas": [
                                {"action": "ADD", "role": "roles/owner",
                                 "member": "user:mallory@example.com"}]}}
        payload = {
            "@type": "type.googleapis.com/google.cloud.audit.AuditLog",
            "status": {},
            "authenticationInfo": {"principalEmail": principal},
            "requestMetadata": {"callerIp": "198.51.100.23" if principal.startswith("mallory")
                                else "203.0.113.%d" % (10 + seed % 200),
                                "callerSuppliedUserAgent": "google-cloud-sdk gcloud/500.0.0",
                                "requestAttributes": {}, "destinationAttributes": {}},
            "serviceName": service,
            "methodName": method,
            "authorizationInfo": [{"resource": rname,
                                   "permission": _gcp_permission(method),
                                   "granted": True, "resourceAttributes": {}}],
            "resourceName": rname,
        }
        if req is not None:
            payload["request"] = req
        if resp is not None:
            payload["response"] = resp
        if service_data is not None:
            payload["serviceData"] = service_data
        return {
            "protoPayload": payload,
            "insertId": det_hex(12, "gcp-insert", cfg.scenario, i),
            "resource": resource,
            "timestamp": iso_ns(ns, 9),
            "severity": "NOTICE",
            "logName": self.log_name,
            "receiveTimestamp": iso_ns(ns + (1 + seed % 5) * 10 ** 9 + 123456789, 9),
        }


def _gcp_permission(method):
    return {
        "v1.compute.instances.start": "compute.instances.start",
        "v1.compute.instances.stop": "compute.instances.stop",
        "v1.compute.firewalls.insert": "compute.firewalls.create",
        "v1.compute.disks.createSnapshot": "compute.disks.createSnapshot",
        "storage.buckets.create": "storage.buckets.create",
        "google.iam.admin.v1.CreateServiceAccount": "iam.serviceAccounts.create",
        "google.logging.v2.ConfigServiceV2.DeleteSink": "logging.sinks.delete",
        "google.logging.v2.ConfigServiceV2.UpdateSink": "logging.sinks.update",
        "SetIamPolicy": "resourcemanager.projects.setIamPolicy",
    }[method]


# ==========================================================================
# Fleet

FLEET_COUNT = 250
FLEET_CVE_KEV = "CVE-2026-10001"     # cvss 9.8, CISA KEV, hosts 11..20
FLEET_CVE_CRIT = "CVE-2026-10002"    # cvss 9.1, hosts 17..20
FLEET_CVE_HIGH = "CVE-2026-10003"    # cvss 7.5, hosts 43..50
FLEET_SETS = {  # breaching only
    "crit1": range(11, 17), "crit2": range(17, 21), "policy1": range(21, 24),
    "policy2": range(24, 26), "offline": range(26, 32), "mia": range(32, 35),
    "stale": range(35, 43), "high": range(43, 51),
}


def _fleet_cves(cfg):
    return {
        FLEET_CVE_KEV: {"cvss_score": 9.8, "epss_probability": 0.97, "cisa_known_exploit": True,
                        "cve_published": iso_z(cfg.now - 40 * DAY),
                        "package": ("openssl", "3.0.2", "3.0.15")},
        FLEET_CVE_CRIT: {"cvss_score": 9.1, "epss_probability": 0.12, "cisa_known_exploit": False,
                         "cve_published": iso_z(cfg.now - 10 * DAY),
                         "package": ("libxml2", "2.9.13", "2.9.14")},
        FLEET_CVE_HIGH: {"cvss_score": 7.5, "epss_probability": 0.02, "cisa_known_exploit": False,
                         "cve_published": iso_z(cfg.now - 20 * DAY),
                         "package": ("curl", "7.81.0", "7.88.1")},
    }


def fleet_host_cves(cfg, hid):
    if not cfg.breaching:
        return []
    s = FLEET_SETS
    if hid in s["crit1"]:
        return [FLEET_CVE_KEV]
    if hid in s["crit2"]:
        return [FLEET_CVE_KEV, FLEET_CVE_CRIT]
    if hid in s["high"]:
        return [FLEET_CVE_HIGH]
    return []


def fleet_hosts(cfg):
    s = FLEET_SETS
    cves = _fleet_cves(cfg)
    out = []
    for hid in range(1, FLEET_COUNT + 1):
        if hid <= 150:
            platform, osv, src = "ubuntu", "Ubuntu 22.04.4 LTS", "deb_packages"
            team = (2, "Servers")
        elif hid <= 220:
            platform, osv, src = "darwin", "macOS 14.6.1", "apps"
            team = (1, "Workstations")
        else:
            platform, osv, src = "windows", "Microsoft Windows 11 Enterprise 23H2 10.0.22631.4037", "programs"
            team = (1, "Workstations")
        status, seen, sw_upd = "online", cfg.now - 120 - hid, cfg.now - 6 * 3600 - hid
        failing = 0
        if cfg.breaching:
            if hid in s["offline"]:
                status, seen = "offline", cfg.now - 3 * DAY - hid
            elif hid in s["mia"]:
                status, seen, sw_upd = "mia", cfg.now - 40 * DAY - hid, cfg.now - 40 * DAY - hid
            elif hid in s["stale"]:
                sw_upd = cfg.now - 12 * DAY - hid
            if hid in s["policy1"]:
                failing = 1
            elif hid in s["policy2"]:
                failing = 2
        host_cves = fleet_host_cves(cfg, hid)
        crit = sum(1 for c in host_cves if cves[c]["cvss_score"] >= 9.0)
        host = {
            "id": hid,
            "hostname": "host-%03d.example.internal" % hid,
            "display_name": "host-%03d" % hid,
            "uuid": det_uuid("fleet-host", hid).upper(),
            "platform": platform,
            "os_version": osv,
            "osquery_version": "5.13.1",
            "seen_time": iso_z(seen),
            "software_updated_at": iso_z(sw_upd),
            "detail_updated_at": iso_z(seen - 1800),
            "label_updated_at": iso_z(seen - 1800),
            "last_restarted_at": iso_z(cfg.now - 3 * DAY - 977 * hid),
            "status": status,
            "team_id": team[0],
            "team_name": team[1],
            "primary_ip": "10.20.%d.%d" % (hid // 250, hid % 250 + 1),
            "hardware_serial": "FAKE%06d" % hid,
            "issues": {"failing_policies_count": failing,
                       "critical_vulnerabilities_count": crit,
                       "total_issues_count": failing + crit},
        }
        software = [{"id": 1, "name": "osquery", "version": "5.13.1", "source": src}]
        for name, version, fixed, cve_list in _fleet_packages(cves, host_cves):
            sw = {"id": 100 + len(software), "name": name, "version": version, "source": src,
                  "generated_cpe": "cpe:2.3:a:%s:%s:%s:*:*:*:*:*:*:*" % (name, name, version),
                  "vulnerabilities": []}
            for c in cve_list:
                v = cves[c]
                sw["vulnerabilities"].append({
                    "cve": c, "details_link": "https://nvd.nist.gov/vuln/detail/%s" % c,
                    "cvss_score": v["cvss_score"], "epss_probability": v["epss_probability"],
                    "cisa_known_exploit": v["cisa_known_exploit"],
                    "cve_published": v["cve_published"],
                    "cve_description": "Fake vulnerability %s in %s %s." % (c, name, version),
                    "resolved_in_version": fixed})
            software.append(sw)
        host["_software"] = software
        out.append(host)
    return out


def _fleet_packages(cves, host_cves):
    pk = {}
    for c in host_cves:
        name, version, fixed = cves[c]["package"]
        pk.setdefault((name, version, fixed), []).append(c)
    base = [("openssl", "3.0.15", None), ("curl", "7.88.1", None), ("libxml2", "2.9.14", None)]
    out = []
    for name, version, fixed in base:
        vuln = [(k, v) for k, v in pk.items() if k[0] == name]
        if vuln:
            (n, ver, fx), lst = vuln[0]
            out.append((n, ver, fx, lst))
        else:
            out.append((name, version, fixed, []))
    return out


def fleet_vulnerabilities(cfg, hosts):
    cves = _fleet_cves(cfg)
    counts = {}
    for h in hosts:
        for c in fleet_host_cves(cfg, h["id"]):
            counts[c] = counts.get(c, 0) + 1
    out = []
    for c, n in counts.items():
        v = cves[c]
        out.append({"cve": c, "created_at": iso_z(cfg.now - 5 * DAY), "hosts_count": n,
                    "hosts_count_updated_at": iso_z(cfg.now - 3600),
                    "details_link": "https://nvd.nist.gov/vuln/detail/%s" % c,
                    "cvss_score": v["cvss_score"], "epss_probability": v["epss_probability"],
                    "cisa_known_exploit": v["cisa_known_exploit"],
                    "cve_published": v["cve_published"],
                    "cve_description": "Fake vulnerability %s." % c})
    out.sort(key=lambda v: (-v["cvss_score"], v["cve"]))
    return out


# ==========================================================================
# KnowBe4

KB4_USERS = 350
KB4_MODULES = [  # (content_type, module_name, campaign id, campaign name)
    ("Store Purchase", "2026 Kevin Mitnick Security Awareness Training (45 min)", 4101,
     "2026 Annual Security Awareness"),
    ("Store Purchase", "Phishing Fundamentals", 4101, "2026 Annual Security Awareness"),
    ("Uploaded Policy", "Acceptable Use Policy", 4102, "2026 Policy Acknowledgement"),
]
KB4_CAMPAIGN_START_DAYS = 45        # enrollment_date = now - 45 days
KB4_LATE = range(1, 6)              # breaching: main module passed after 40 days
KB4_PAST_DUE = range(301, 321)
KB4_IN_PROGRESS = range(321, 336)
KB4_NOT_STARTED = range(336, 351)


def kb4_enrollments(cfg):
    out = []
    enrolled = cfg.now - KB4_CAMPAIGN_START_DAYS * DAY + 9 * 3600
    for u in range(1, KB4_USERS + 1):
        user = {"id": 1000000 + u, "first_name": "User%03d" % u, "last_name": "Example",
                "email": "user%03d@example.com" % u, "employee_number": "E%05d" % u}
        for m, (ctype, module, camp_id, camp) in enumerate(KB4_MODULES):
            status, start, done, spent = "Passed", None, None, 0
            days = 1 + (u * 7 + m * 3) % 20
            if cfg.breaching and m == 0 and u in KB4_LATE:
                days = 40
            if cfg.breaching and (u in KB4_NOT_STARTED or
                                  (m == 0 and u in KB4_PAST_DUE) or
                                  (m == 0 and u in KB4_IN_PROGRESS)):
                if u in KB4_NOT_STARTED:
                    status = "Not Started"
                elif u in KB4_PAST_DUE:
                    status = "Past Due"
                else:
                    status = "In Progress"
                    start = enrolled + 3 * DAY + 600
                    spent = 900
            if status == "Passed":
                spent = 1200 + (u * 37 + m * 11) % 1800
                done = enrolled + days * DAY + 4 * 3600
                start = done - spent
            enr = {
                "enrollment_id": 5000000 + (u - 1) * 3 + m,
                "content_type": ctype,
                "module_name": module,
                "user": dict(user),
                "campaign_name": camp,
                "campaign_id": camp_id,
                "enrollment_date": iso_z(enrolled, 3),
                "start_date": iso_z(start, 3) if start else None,
                "completion_date": iso_z(done, 3) if done else None,
                "status": status,
                "time_spent": spent,
                "policy_acknowledged": ctype == "Uploaded Policy" and status == "Passed",
            }
            out.append(enr)
    return out


# ==========================================================================
# Summaries (what collector tests assert). Recomputed from the data.

def _parse(ts):
    from fakelib import parse_iso8601
    return parse_iso8601(ts)


def summary(vendor, cfg):
    now = cfg.now
    if vendor == "aws-ssm":
        st = ssm_patch_states(cfg)
        info = ssm_instance_info(cfg)
        bad = [s for s in st if s["CriticalNonCompliantCount"] or s["SecurityNonCompliantCount"]]
        stale = [s for s in st if s["OperationEndTime"] < now - 7 * DAY]
        return {
            "instances": len(st),
            "patch_compliant": len(st) - len(bad),
            "with_critical_missing": sum(1 for s in st if s["CriticalNonCompliantCount"]),
            "with_security_missing": sum(1 for s in st if s["SecurityNonCompliantCount"]),
            "with_missing": sum(1 for s in st if s["MissingCount"]),
            "with_failed": sum(1 for s in st if s["FailedCount"]),
            "with_pending_reboot": sum(1 for s in st if s["InstalledPendingRebootCount"]),
            "scan_older_than_7d": len(stale),
            "compliant_and_fresh": sum(1 for s in st if s not in bad and s not in stale),
            "sum_critical": sum(s["CriticalNonCompliantCount"] for s in st),
            "sum_security": sum(s["SecurityNonCompliantCount"] for s in st),
            "sum_missing": sum(s["MissingCount"] for s in st),
            "ping_online": sum(1 for i in info if i["PingStatus"] == "Online"),
            "noncompliant_ids": sorted(s["InstanceId"] for s in bad),
            "stale_ids": sorted(s["InstanceId"] for s in stale),
        }
    if vendor == "aws-backup":
        jobs = backup_jobs(cfg)
        states = {}
        for j in jobs:
            states[j["State"]] = states.get(j["State"], 0) + 1
        finished = sum(v for k, v in states.items()
                       if k in ("COMPLETED", "FAILED", "ABORTED", "EXPIRED", "PARTIAL"))
        ok24 = {j["ResourceArn"] for j in jobs
                if j["State"] == "COMPLETED" and j["CompletionDate"] >= now - DAY}
        res = {j["ResourceArn"] for j in jobs}
        consecutive = []
        for arn in sorted(res):
            mine = [j for j in jobs if j["ResourceArn"] == arn and j["State"] != "RUNNING"]
            if len(mine) >= 2 and all(j["State"] == "FAILED" for j in mine[:2]):
                consecutive.append(arn)
        return {
            "jobs": len(jobs), "states": dict(sorted(states.items())),
            "success_rate_percent": round(100.0 * states.get("COMPLETED", 0) / finished, 2),
            "resources": len(res), "resources_ok_24h": len(ok24),
            "resources_without_success_24h": sorted(res - ok24),
            "resources_2_consecutive_failures": consecutive,
        }
    if vendor == "aws-cloudtrail":
        s = CloudTrailStream(cfg)
        names, tamper, nomfa, root, grants, world = {}, 0, 0, 0, 0, 0
        for i in range(s.n):
            ev = s.event(i)
            inner = json.loads(ev["CloudTrailEvent"])
            n = ev["EventName"]
            names[n] = names.get(n, 0) + 1
            if n in ("StopLogging", "DeleteTrail", "UpdateTrail", "PutEventSelectors"):
                tamper += 1
            if (n == "ConsoleLogin" and inner["userIdentity"]["type"] == "IAMUser" and
                    inner["additionalEventData"]["MFAUsed"] != "Yes" and
                    inner["responseElements"]["ConsoleLogin"] == "Success"):
                nomfa += 1
            if inner["userIdentity"]["type"] == "Root":
                root += 1
            if n in ("AttachUserPolicy", "PutUserPolicy", "AttachRolePolicy", "PutRolePolicy",
                     "AttachGroupPolicy", "PutGroupPolicy"):
                grants += 1
            if n == "AuthorizeSecurityGroupIngress" and "0.0.0.0/0" in ev["CloudTrailEvent"]:
                world += 1
        return {"events": s.n, "first_event_time": s.time_of(0),
                "last_event_time": s.time_of(s.n - 1),
                "logging_tamper": tamper, "console_login_without_mfa": nomfa,
                "root_activity": root, "iam_policy_grants": grants,
                "sg_ingress_world": world,
                "special_event_times": {k: s.time_of(i) for i, k in sorted(s.specials.items())},
                "trail_is_logging": s.trail_status()["IsLogging"]}
    if vendor == "azure":
        s = AzureStream(cfg)
        diag, role, nsg, succeeded = 0, 0, 0, 0
        for i in range(s.n):
            ev = s.event(i)
            if ev["status"]["value"] != "Succeeded":
                continue
            succeeded += 1
            op = ev["operationName"]["value"]
            if op == "Microsoft.Insights/diagnosticSettings/delete":
                diag += 1
            elif op == "Microsoft.Authorization/roleAssignments/write":
                role += 1
            elif op == "Microsoft.Network/networkSecurityGroups/securityRules/write":
                body = json.loads(ev["properties"]["responseBody"])["properties"]
                if body["sourceAddressPrefix"] in ("*", "0.0.0.0/0", "Internet", "Any"):
                    nsg += 1
        return {"events": s.n, "operations": (s.n + 1) // 2, "succeeded_events": succeeded,
                "diagnostic_settings_deleted": diag, "role_assignments_written": role,
                "nsg_rules_open_to_internet": nsg,
                "special_operation_times": {
                    k: iso_ns(s.time_of(2 * j + 1) * 100, 7)
                    for j, k in sorted(s.specials.items())}}
    if vendor == "gcp":
        s = GcpStream(cfg)
        counts = {"DeleteSink": 0, "UpdateSink": 0, "SetIamPolicy": 0, "firewall_world": 0}
        for i in range(s.n):
            e = s.entry(i)
            m = e["protoPayload"]["methodName"]
            if m.endswith("DeleteSink"):
                counts["DeleteSink"] += 1
            elif m.endswith("UpdateSink"):
                counts["UpdateSink"] += 1
            elif m == "SetIamPolicy":
                counts["SetIamPolicy"] += 1
            elif m == "v1.compute.firewalls.insert" and \
                    "0.0.0.0/0" in e["protoPayload"]["request"]["sourceRanges"]:
                counts["firewall_world"] += 1
        counts.update({"entries": s.n,
                       "special_entry_times": {k: iso_ns(s.time_of(i), 9)
                                               for i, k in sorted(s.specials.items())}})
        return counts
    if vendor == "fleet":
        hosts = fleet_hosts(cfg)
        st = {}
        for h in hosts:
            st[h["status"]] = st.get(h["status"], 0) + 1
        crit_hosts = [h for h in hosts if h["issues"]["critical_vulnerabilities_count"]]
        kev = [h for h in hosts if any(v["cisa_known_exploit"] for sw in h["_software"]
                                       for v in sw.get("vulnerabilities", []))]
        high_only = [h for h in hosts if not h["issues"]["critical_vulnerabilities_count"] and
                     any(sw.get("vulnerabilities") for sw in h["_software"])]
        return {
            "hosts": len(hosts), "status": dict(sorted(st.items())),
            "with_critical_vulns": len(crit_hosts),
            "critical_vuln_findings": sum(h["issues"]["critical_vulnerabilities_count"]
                                          for h in hosts),
            "with_kev_vulns": len(kev), "with_only_high_vulns": len(high_only),
            "with_failing_policies": sum(1 for h in hosts
                                         if h["issues"]["failing_policies_count"]),
            "software_scan_older_than_7d": sum(
                1 for h in hosts if _parse(h["software_updated_at"]) < now - 7 * DAY),
            "seen_older_than_1d": sum(1 for h in hosts if _parse(h["seen_time"]) < now - DAY),
            "distinct_cves": len(fleet_vulnerabilities(cfg, hosts)),
        }
    if vendor == "knowbe4":
        en = kb4_enrollments(cfg)
        st = {}
        for e in en:
            st[e["status"]] = st.get(e["status"], 0) + 1
        main = [e for e in en if e["module_name"] == KB4_MODULES[0][1]]
        passed_main = [e for e in main if e["status"] == "Passed"]
        in30 = [e for e in passed_main
                if _parse(e["completion_date"]) - _parse(e["enrollment_date"]) <= 30 * DAY]
        users_all = {}
        for e in en:
            users_all.setdefault(e["user"]["id"], []).append(e["status"] == "Passed")
        return {
            "enrollments": len(en), "users": len(users_all), "status": dict(sorted(st.items())),
            "main_module_passed": len(passed_main),
            "main_module_completion_percent": round(100.0 * len(passed_main) / len(main), 2),
            "main_module_passed_within_30d": len(in30),
            "users_all_passed": sum(1 for v in users_all.values() if all(v)),
            "policy_acknowledged": sum(1 for e in en if e["policy_acknowledged"]),
        }
    raise ValueError("unknown vendor %s" % vendor)
