#!/bin/sh
# render-html.sh: renders an HTML report to an A4 PDF (as printed) and,
# optionally, a PNG of the first screen, with Debian's headless Chromium,
# offline.  It fails (exit 1, with the reason on stderr) when Chromium fails
# or times out, when the PDF (or PNG) is missing, empty or not a PDF (PNG),
# or when the page tried to fetch anything from the network.
#
# usage: tests/render-html.sh IN.html OUT.pdf [OUT.png]
#
# How a fetch is caught: Chromium runs with every request sent to a proxy
# that does not exist (127.0.0.1:9) and every host name unresolvable, so
# nothing leaves the machine, and with a network log (--log-net-log).  Each
# request the page makes (an <img>, a stylesheet, a font, a frame, a
# script's fetch, a preconnect) is logged with the page's network partition
# "file://" (as its isolation key or in its socket group), or with the
# page's opaque origin "null" as its initiator; Chromium's own
# background requests (component updates, sign-in checks) carry neither and
# are ignored.  A log that is missing or empty counts as a failure too.
#
# Environment: CHROMIUM (default chromium), RENDER_TIMEOUT (seconds, default
# 120), RENDER_WINDOW (the PNG's window, default 1280,1800), RENDER_KEEP=1
# (keep the scratch directory and say where it is).
set -u

prog=render-html.sh
die() {
	echo "$prog: $*" >&2
	exit 1
}

if [ $# -lt 2 ] || [ $# -gt 3 ]; then
	echo "usage: $prog IN.html OUT.pdf [OUT.png]" >&2
	exit 2
fi
in=$1
pdf=$2
png=${3:-}
chromium=${CHROMIUM:-chromium}
limit=${RENDER_TIMEOUT:-120}
window=${RENDER_WINDOW:-1280,1800}

if [ ! -f "$in" ] || [ ! -r "$in" ]; then
	die "cannot read $in"
fi
command -v "$chromium" >/dev/null 2>&1 || die "$chromium not found (Debian: apt-get install chromium)"

tmp=$(mktemp -d "${TMPDIR:-/tmp}/render-html.XXXXXX") || die "cannot make a scratch directory"
if [ "${RENDER_KEEP:-}" = 1 ]; then
	trap 'echo "$prog: kept $tmp" >&2' EXIT
else
	trap 'rm -rf "$tmp"' EXIT
fi
trap 'exit 130' HUP INT TERM

# The page is copied under a name that needs no quoting in a URL, alone in
# its directory, so that a relative reference finds nothing to load.
mkdir "$tmp/page" || die "cannot make a scratch directory"
cp "$in" "$tmp/page/report.html" || die "cannot copy $in"
url="file://$tmp/page/report.html"

# run NAME ARGS...: runs Chromium on the page with a fresh profile and a
# network log; its output goes to $tmp/NAME.log.
run() {
	name=$1
	shift
	set -- --headless --no-sandbox --disable-gpu --user-data-dir="$tmp/profile-$name" \
		--no-first-run --no-default-browser-check --disable-extensions --disable-default-apps \
		--disable-background-networking --disable-component-update --disable-sync --disable-breakpad \
		--metrics-recording-only --hide-scrollbars --mute-audio \
		--proxy-server=127.0.0.1:9 --proxy-bypass-list='<-loopback>' \
		--host-resolver-rules='MAP * ~NOTFOUND' \
		--log-net-log="$tmp/$name.netlog" --net-log-capture-mode=Default \
		"$@" "$url"
	if command -v timeout >/dev/null 2>&1; then
		timeout -k 10 "$limit" "$chromium" "$@" >"$tmp/$name.log" 2>&1
	else
		"$chromium" "$@" >"$tmp/$name.log" 2>&1
	fi
	status=$?
	if [ "$status" = 124 ] || [ "$status" = 137 ]; then
		die "$name: Chromium timed out after ${limit}s"
	fi
	if [ "$status" != 0 ]; then
		grep -v -e 'dbus' -e 'unexpected operator' "$tmp/$name.log" | tail -n 15 >&2
		die "$name: Chromium failed (exit $status)"
	fi
	check_net "$name"
}

# check_net NAME: fails when the page of run NAME touched the network.
check_net() {
	log=$tmp/$1.netlog
	if [ ! -s "$log" ] || ! grep -q '"events"' "$log"; then
		die "$1: no network log from Chromium: cannot tell whether the page fetched anything"
	fi
	if grep -E -e '"network_(isolation|anonymization)_key":"file://' -e '"initiator":"(null|file://[^"]*)"' \
		-e '"group_id":"[^"]*\\u003Cfile://' "$log" >"$tmp/$1.fetches"; then
		echo "$prog: $1: the page tried to fetch from the network:" >&2
		sed -n -e 's/.*"url":"\([^"]*\)".*/  \1/p' \
			-e 's/.*"group_id":"\([a-z]*\/\)\{0,1\}\([^ "]*\) [^"]*\\u003Cfile:.*/  connection to \2/p' "$tmp/$1.fetches" |
			sort -u >&2
		die "$1: refusing a report that is not self-contained"
	fi
}

run pdf --no-pdf-header-footer --print-to-pdf="$tmp/out.pdf"
[ -s "$tmp/out.pdf" ] || die "pdf: Chromium wrote no PDF (or an empty one)"
[ "$(dd if="$tmp/out.pdf" bs=1 count=5 2>/dev/null)" = "%PDF-" ] || die "pdf: the output is not a PDF"
tail -c 1024 "$tmp/out.pdf" | grep -q '%%EOF' || die "pdf: the PDF is truncated"
cp "$tmp/out.pdf" "$pdf" || die "cannot write $pdf"

if [ -n "$png" ]; then
	run png --window-size="$window" --screenshot="$tmp/out.png"
	[ -s "$tmp/out.png" ] || die "png: Chromium wrote no screenshot"
	[ "$(dd if="$tmp/out.png" bs=1 skip=1 count=3 2>/dev/null)" = "PNG" ] || die "png: the output is not a PNG"
	cp "$tmp/out.png" "$png" || die "cannot write $png"
fi
exit 0
