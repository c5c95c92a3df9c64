#!/bin/sh
# check-unit.sh: the shipped unit passes `systemd-analyze verify`-style
# parsing and scores an exposure of 1.5 or lower (threshold in tenths).
set -u
unit=systemd/ismsd.service
[ -f "$unit" ] || { echo "FAIL: $unit was not generated"; exit 1; }
command -v systemd-analyze >/dev/null 2>&1 || { echo "SKIP: no systemd-analyze"; exit 77; }
out=$(systemd-analyze security --offline=yes --threshold=15 "$unit" 2>&1); rc=$?
echo "$out" | tail -n 1
[ "$rc" = 0 ] || { echo "FAIL: exposure above 1.5"; exit 1; }
case "$out" in *"Failed to parse"*|*"Unknown key"*|*"Unknown lvalue"*) echo "FAIL: unit does not parse: $out"; exit 1;; esac
echo "PASS: check-unit"
