#!/usr/bin/env python3
"""oscal-validate.py: validates an OSCAL JSON document against a NIST OSCAL
JSON schema (draft-07), e.g. tests/data/oscal/oscal_assessment-results_schema-1.0.6.json.

Usage: oscal-validate.py SCHEMA DOC
Exit 0 and print "valid", or exit 1 and list each error with the JSON path
of the offending value; exit 2 when it cannot run (bad arguments, unreadable
files, missing Python packages).

Needs Debian's python3-jsonschema (4.10 or later), python3-regex and
python3-rfc3987 (the "uri" and "uri-reference" format checks); PyPI is not
used.  When the interpreter running this script lacks them (e.g. a pyenv
python3 first in PATH), it re-runs itself with /usr/bin/python3, where
Debian installs them.

Two things the stock validator gets wrong for OSCAL are fixed here:
  - OSCAL's token pattern uses \\p{L} and \\p{N}, which Python's re module
    cannot compile, so the "pattern" keyword (and the "regex" format when
    the schema itself is checked) uses the regex module;
  - jsonschema checks "date-time" only with a package Debian 12 lacks, so a
    strict RFC 3339 check is registered here.  "uri" and "uri-reference"
    are checked by rfc3987; a missing checker is an error, not a silent pass.
"""
import json
import os
import sys

DEBIAN_PYTHON = "/usr/bin/python3"

try:
    import jsonschema
    import regex
    import rfc3987  # noqa: F401 (jsonschema's uri checks need it)
except ImportError as e:
    if os.path.realpath(sys.executable) != os.path.realpath(DEBIAN_PYTHON) and os.access(DEBIAN_PYTHON, os.X_OK) \
            and not os.environ.get("OSCAL_VALIDATE_REEXEC"):
        os.environ["OSCAL_VALIDATE_REEXEC"] = "1"
        os.execv(DEBIAN_PYTHON, [DEBIAN_PYTHON] + sys.argv)
    sys.stderr.write("oscal-validate: %s (install python3-jsonschema python3-regex python3-rfc3987)\n" % e)
    sys.exit(2)

import datetime  # noqa: E402

RFC3339 = regex.compile(r"^(\d{4})-(\d{2})-(\d{2})[Tt](\d{2}):(\d{2}):(\d{2})(\.\d+)?([Zz]|[+-]\d{2}:\d{2})$")


def is_date_time(value):
    if not isinstance(value, str):
        return True
    m = RFC3339.match(value)
    if m is None:
        return False
    y, mo, d, h, mi, s = (int(x) for x in m.groups()[:6])
    try:
        datetime.datetime(y, mo, d, h, mi, 59 if s == 60 else s)
    except ValueError:
        return False
    off = m.group(8)
    if off not in ("Z", "z") and (int(off[1:3]) > 23 or int(off[4:6]) > 59):
        return False
    return s <= 60


def is_regex(value):
    if isinstance(value, str):
        regex.compile(value)
    return True


def pattern(validator, patrn, instance, schema):
    if isinstance(instance, str) and not regex.search(patrn, instance):
        yield jsonschema.ValidationError("%r does not match %r" % (instance, patrn))


def json_path(error):
    path = "$"
    for p in error.absolute_path:
        path += "[%d]" % p if isinstance(p, int) else "." + p
    return path


def main(argv):
    if len(argv) != 3:
        sys.stderr.write("usage: oscal-validate.py SCHEMA DOC\n")
        return 2
    try:
        with open(argv[1], encoding="utf-8") as f:
            schema = json.load(f)
        with open(argv[2], encoding="utf-8") as f:
            doc = json.load(f)
    except (OSError, ValueError) as e:
        sys.stderr.write("oscal-validate: %s\n" % e)
        return 2

    checker = jsonschema.FormatChecker()
    checker.checks("date-time")(is_date_time)
    checker.checks("regex", raises=regex.error)(is_regex)
    missing = [f for f in ("date-time", "uri", "uri-reference") if f not in checker.checkers]
    if missing:
        sys.stderr.write("oscal-validate: no format checker for %s\n" % ", ".join(missing))
        return 2

    Validator = jsonschema.validators.extend(jsonschema.Draft7Validator, {"pattern": pattern})
    # The schema itself, with "regex" formats compiled by the regex module
    # (newer jsonschema releases check them with re in check_schema()).
    meta = jsonschema.Draft7Validator(jsonschema.Draft7Validator.META_SCHEMA, format_checker=checker)
    bad = list(meta.iter_errors(schema))
    if bad:
        for e in bad:
            sys.stderr.write("oscal-validate: schema %s: %s\n" % (json_path(e), e.message))
        return 2
    validator = Validator(schema, format_checker=checker)
    errors = sorted(validator.iter_errors(doc), key=lambda e: (list(map(str, e.absolute_path)), e.message))
    if not errors:
        print("valid")
        return 0
    for e in errors:
        print("%s: %s" % (json_path(e), e.message))
        # anyOf/oneOf failures carry the real reasons in their context
        for sub in sorted(e.context or [], key=lambda s: (list(map(str, s.absolute_path)), s.message)):
            print("    %s: %s" % (json_path(sub), sub.message))
    print("%d error(s)" % len(errors))
    return 1


if __name__ == "__main__":
    sys.exit(main(sys.argv))
