"""bench/extra.py: the idle daemon, KPI evaluation over a year, and a year's
audit pack (issue #9), for bench/run.

bench/run imports this file and calls run_all() inside its temporary
directory, after its year-report scenario (whose store the audit-pack
scenario reuses), then print_tables() with what run_all() returned.
Standard library only.

  idle      `ismsd --foreground` with the example configuration (8 sources:
            self and the seven vendor collectors, pointed by tools/demo-env
            at the local fakes) and one webhook (tests/fakes/receiver.py).
            At start every source is overdue, so all 8 run at once; the
            window is measured after they have finished and the daemon has
            been quiet for a while (see settle()).  Over the window: VmRSS
            (RssAnon + RssFile) and VmHWM, CPU time (utime + stime of
            /proc/PID/stat: every thread, live or gone) and wake-ups: the
            main thread's voluntary context switches (each is a return from
            the event loop's epoll_wait, or a wait on I/O it makes), plus
            those of the worker threads seen by sampling /proc every 0.1 s.
            Without systemd there is no watchdog ping, so every wake-up
            counts against the target.
  kpi-year  KPI evaluation and nonconformity raise over a year's store: a
            store filled by bench/run's fill_year() with the year that ends
            today (the KPIs are evaluated as at now: the latest fleet run and
            the audit events of each KPI's window).  Nothing but a completed
            collection run triggers an evaluation, so each step is an
            `ismsd --once` of the `self` source (no HTTP), which evaluates
            the KPIs after its run: the evaluation's time is the daemon's own
            timing of it (its "KPIs evaluated in" log line), and its CPU time
            the run's minus that of the same run with every KPI disabled.
  pack-year `ismsctl export --period 2025` of the year-report store, as a
            directory and as a tar, and `ismsctl verify --pack` of each.

Standalone (for measuring a build without the rest of the suite):
    python3 bench/extra.py --builddir DIR [--quick] [--only idle|kpi|pack]
"""

import argparse
import base64
import importlib.machinery
import importlib.util
import json
import os
import re
import shutil
import signal
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time

SRC = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
MIB = 1024 * 1024
TICK = os.sysconf("SC_CLK_TCK")

IDLE_RSS_MIB = 8
IDLE_CPU_PER_MIN = 0.1
IDLE_WAKEUPS_PER_MIN = 2


def _ctl(ctx):
    return os.path.join(os.path.dirname(ctx.ismsd), "ismsctl")


def _run(argv, env=None, log=None):
    """Runs argv; returns (wall s, CPU s, peak RSS bytes) from wait4."""
    t0 = time.monotonic()
    pid = os.fork()
    if pid == 0:
        try:
            out = os.open(log or os.devnull, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
            os.dup2(out, 1)
            os.dup2(out, 2)
            if env is None:
                os.execv(argv[0], argv)
            os.execve(argv[0], argv, env)
        finally:
            os._exit(127)
    _, status, ru = os.wait4(pid, 0)
    wall = time.monotonic() - t0
    if os.waitstatus_to_exitcode(status) != 0:
        if log:
            with open(log) as f:
                sys.stderr.write(f.read()[-2000:])
        raise SystemExit("bench: %s failed" % " ".join(os.path.basename(a) for a in argv[:1] + argv[3:]))
    return wall, ru.ru_utime + ru.ru_stime, ru.ru_maxrss * 1024


def _du(path):
    if os.path.isfile(path):
        return os.path.getsize(path)
    return sum(os.path.getsize(os.path.join(d, f)) for d, _, fs in os.walk(path) for f in fs)


def _median_row(name, runs, extra=None):
    row = {"scenario": name, "runs": len(runs)}
    for k in runs[0]:
        vals = [r[k] for r in runs]
        row[k] = {"median": statistics.median(vals), "min": min(vals), "max": max(vals)}
    if extra:
        row.update(extra)
    return row


# ---- idle ------------------------------------------------------------------------


def _status(pid, tid=None):
    path = "/proc/%d/task/%d/status" % (pid, tid) if tid else "/proc/%d/status" % pid
    out = {}
    with open(path) as f:
        for line in f:
            k, _, v = line.partition(":")
            out[k] = v.strip()
    return out


def _cpu_s(pid):
    with open("/proc/%d/stat" % pid) as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / TICK


def _kib(status, key):
    return int(status.get(key, "0 kB").split()[0])


def _tids(pid):
    try:
        return [int(t) for t in os.listdir("/proc/%d/task" % pid)]
    except FileNotFoundError:
        return []


def settle(pid, db, sources, timeout):
    """Waits until every configured source has a finished run, the daemon is
    down to its main thread and its CPU time has not moved for 3 s.  Returns
    the seconds that took."""
    t0 = time.monotonic()
    quiet_since, last_cpu = None, None
    while time.monotonic() - t0 < timeout:
        time.sleep(0.25)
        done = 0
        if os.path.exists(db):
            try:
                con = sqlite3.connect("file:%s?mode=ro" % db, uri=True, timeout=1)
                done = con.execute("SELECT count(DISTINCT source) FROM runs WHERE finished_at IS NOT NULL"
                                   ).fetchone()[0]
                con.close()
            except sqlite3.Error:
                done = 0
        cpu = _cpu_s(pid)
        if done >= sources and len(_tids(pid)) == 1 and cpu == last_cpu:
            quiet_since = quiet_since or time.monotonic()
            if time.monotonic() - quiet_since >= 3:
                return time.monotonic() - t0
        else:
            quiet_since = None
        last_cpu = cpu
    raise SystemExit("bench: the idle daemon did not settle within %d s" % timeout)


def _start_receiver(tmp, pki, secret):
    port_file = os.path.join(tmp, "idle-receiver.port")
    proc = subprocess.Popen([sys.executable, os.path.join(SRC, "tests/fakes/receiver.py"),
                             "--cert", os.path.join(pki, "server.pem"), "--key", os.path.join(pki, "server.key"),
                             "--port-file", port_file, "--secret", secret],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    for _ in range(400):
        if os.path.exists(port_file):
            with open(port_file) as f:
                text = f.read().strip()
            if text:
                return proc, int(text)
        time.sleep(0.05)
    proc.kill()
    raise SystemExit("bench: the webhook receiver did not start")


def scenario_idle(ctx, window_s):
    """The idle daemon over window_s seconds after start-up has settled."""
    demo = os.path.join(ctx.tmp, "idle")
    env_sh = os.path.join(SRC, "tools/demo-env")
    subprocess.run(["sh", env_sh, "start", demo, "healthy"], check=True, stdout=subprocess.DEVNULL)
    receiver = daemon = None
    try:
        secret = "whsec_" + base64.b64encode(os.urandom(32)).decode()
        sfile = os.path.join(demo, "webhook-secret")
        with open(sfile, "w") as f:
            f.write(secret + "\n")
        os.chmod(sfile, 0o600)
        receiver, port = _start_receiver(demo, os.path.join(demo, "pki"), secret)
        conf = os.path.join(demo, "ismsd.conf")
        with open(conf, "a") as f:
            f.write("\n[webhook ops]\nurl = https://127.0.0.1:%d/hook\nsecret_file = %s\nca_file = %s\n"
                    % (port, sfile, os.path.join(demo, "pki/ca.pem")))
        with open(conf) as f:
            sources = sum(1 for line in f if line.startswith("[source "))
        env = dict(os.environ, CREDENTIALS_DIRECTORY=os.path.join(demo, "credentials"))
        log = open(os.path.join(demo, "daemon.log"), "w")
        daemon = subprocess.Popen([ctx.ismsd, "--foreground", "--config", conf], stdout=log, stderr=log, env=env)
        log.close()
        pid = daemon.pid
        settle_s = settle(pid, os.path.join(demo, "state/evidence.db"), sources, 180)

        seen = {}  # tid -> voluntary switches at first and last sight

        def sample():
            for tid in _tids(pid):
                if tid == pid:
                    continue
                try:
                    v = int(_status(pid, tid)["voluntary_ctxt_switches"])
                except (FileNotFoundError, KeyError, ValueError):
                    continue
                first = seen.get(tid, (None, None))[0]
                # a thread first seen inside the window started in it
                seen[tid] = (0 if first is None else first, v)
        st0, cpu0, t0 = _status(pid), _cpu_s(pid), time.monotonic()
        main0 = int(st0["voluntary_ctxt_switches"])
        while time.monotonic() - t0 < window_s:
            sample()
            time.sleep(0.1)
        st1, cpu1, t1 = _status(pid), _cpu_s(pid), time.monotonic()
        main1 = int(st1["voluntary_ctxt_switches"])
        minutes = (t1 - t0) / 60
        workers = sum(last - first for first, last in seen.values())
        fig = {"settle_s": settle_s, "window_s": t1 - t0,
               "rss_mib": _kib(st1, "VmRSS") / 1024, "rss_anon_mib": _kib(st1, "RssAnon") / 1024,
               "rss_file_mib": _kib(st1, "RssFile") / 1024, "hwm_mib": _kib(st1, "VmHWM") / 1024,
               "cpu_s": cpu1 - cpu0, "cpu_s_per_min": (cpu1 - cpu0) / minutes,
               "wakeups": main1 - main0 + workers, "wakeups_per_min": (main1 - main0 + workers) / minutes,
               "main_wakeups": main1 - main0, "threads_started": len(seen)}
        daemon.send_signal(signal.SIGTERM)
        daemon.wait(timeout=60)
        daemon = None
        return fig
    finally:
        if daemon is not None:
            daemon.kill()
            daemon.wait()
        if receiver is not None:
            receiver.send_signal(signal.SIGTERM)
            receiver.wait()
        subprocess.run(["sh", env_sh, "stop", demo], stdout=subprocess.DEVNULL)


def idle_targets(fig):
    return [
        ("idle daemon (8 sources): RSS <= %d MiB" % IDLE_RSS_MIB, fig["rss_mib"] <= IDLE_RSS_MIB),
        ("idle daemon: CPU < %.1f s per minute" % IDLE_CPU_PER_MIN, fig["cpu_s_per_min"] < IDLE_CPU_PER_MIN),
        ("idle daemon: <= %d wake-ups per minute (no watchdog here)" % IDLE_WAKEUPS_PER_MIN,
         fig["wakeups_per_min"] <= IDLE_WAKEUPS_PER_MIN),
    ]


# ---- KPI evaluation over a year ---------------------------------------------------

AUDIT_KPIS = ("audit.logging_tamper", "audit.console_login_no_mfa", "audit.root_activity", "audit.privilege_grants",
              "audit.world_open_firewall")
ALL_KPIS = ("patch.compliant_pct", "patch.critical_age_days", "patch.unscanned_hosts", "backup.hours_since_success",
            "backup.success_rate", "backup.unprotected_resources", "training.completion_pct", "training.overdue",
            "training.on_time_pct") + AUDIT_KPIS


def _kpi_conf(tmp, state, name, kpis):
    path = os.path.join(tmp, "kpi-%s.conf" % name)
    with open(path, "w") as f:
        f.write("[daemon]\nstate_dir = %s\nlog_level = info\n\n[report]\nscheduled = no\n\n"
                "[source self]\ntype = self\n\n%s" % (state, kpis))
    return path


def _count(db, sql):
    con = sqlite3.connect("file:%s?mode=ro" % db, uri=True)
    try:
        return con.execute(sql).fetchone()[0]
    finally:
        con.close()


def scenario_kpi_year(ctx, hosts, audit_events, fill_year):
    state = os.path.join(ctx.tmp, "state-kpi")
    db = os.path.join(state, "evidence.db")
    off = _kpi_conf(ctx.tmp, state, "off", "".join("[kpi %s]\nenabled = no\n\n" % k for k in ALL_KPIS))
    default = _kpi_conf(ctx.tmp, state, "default", "")
    # every audit KPI over the longest window the configuration allows
    # (400 days): each one reads every audit event of the year
    year = _kpi_conf(ctx.tmp, state, "year", "".join("[kpi %s]\nwindow = 400d\n\n" % k for k in AUDIT_KPIS))
    _run([ctx.ismsd, "--once", "--config", off], log=off + ".log")  # schema, key, chain start
    # As bench/run's year report does: start the chain again after the year
    # is in, so that the next start seals it (not measured here).
    con = sqlite3.connect(db)
    con.executescript("DROP TRIGGER manifests_append_only_d; DELETE FROM manifests; DELETE FROM chain_genesis;")
    con.close()
    today = int(time.time()) // 86400 * 86400
    t0 = time.monotonic()
    fill_year(db, today - 365 * 86400, hosts, audit_events)  # the year that ends today
    fill_s = time.monotonic() - t0
    _run([ctx.ismsd, "--once", "--config", off], log=off + ".log")  # seals the year
    ncs0 = _count(db, "SELECT count(*) FROM ncs")
    rows = []

    def runs(conf, n):
        out = []
        for _ in range(n):
            w, c, r = _run([ctx.ismsd, "--once", "--config", conf], log=conf + ".log")
            with open(conf + ".log") as f:
                m = re.search(r"KPIs evaluated in ([0-9.]+)s", f.read())
            row = {"wall_s": w, "cpu_s": c, "peak_rss_mib": r / MIB}
            if m:  # the daemon's own timing of kpi_evaluate()
                row["kpi_s"] = float(m.group(1))
            out.append(row)
        return out
    base = runs(off, ctx.repeat)
    rows.append(_median_row("self run, every KPI disabled (the baseline)", base))
    first = runs(default, 1)
    raised = _count(db, "SELECT count(*) FROM ncs") - ncs0
    rows.append(_median_row("self run + first evaluation of the 14 KPIs (raises NCs)", first, {"ncs_raised": raised}))
    again = runs(default, ctx.repeat)
    rows.append(_median_row("self run + evaluation again (NCs updated)", again))
    wide = runs(year, ctx.repeat)
    rows.append(_median_row("self run + evaluation, audit KPIs over 400 days (the whole year)", wide))
    bc = statistics.median(r["cpu_s"] for r in base)
    for row in rows[1:]:
        row["kpi_cpu_s"] = row["cpu_s"]["median"] - bc
    facts = _count(db, "SELECT count(*) FROM evidence WHERE kind != 'raw.page'")
    evaluations = _count(db, "SELECT count(DISTINCT evaluated_at) FROM kpi_values")
    out = {"hosts": hosts, "audit_events": audit_events, "facts": facts, "fill_s": fill_s,
           "store_mib": os.path.getsize(db) / MIB, "evaluations": evaluations,
           "ncs_open": _count(db, "SELECT count(*) FROM ncs WHERE state != 'closed'"), "rows": rows}
    shutil.rmtree(state)
    return out


# ---- a year's audit pack --------------------------------------------------------


def scenario_pack_year(ctx, conf, state):
    """`ismsctl export --period 2025` of bench/run's year-report store, as a
    directory and as a tar, and `ismsctl verify --pack` of each: one run
    each, as a year's export writes tens of thousands of files."""
    ctl = _ctl(ctx)
    key = os.path.join(state, "manifest-signing.key.pub")
    rows = []
    for kind, name in (("directory", "pack-2025"), ("tar", "pack-2025.tar")):
        out = os.path.join(ctx.tmp, name)
        exp, ver = [], []
        for _ in range(1):
            if os.path.isdir(out):
                shutil.rmtree(out)
            elif os.path.exists(out):
                os.unlink(out)
            w, c, r = _run([ctl, "--config", conf, "export", "--period", "2025", "--out", out])
            exp.append({"wall_s": w, "cpu_s": c, "peak_rss_mib": r / MIB, "output_mib": _du(out) / MIB})
            w, c, r = _run([ctl, "--config", conf, "verify", "--pack", out, "--key", key])
            ver.append({"wall_s": w, "cpu_s": c, "peak_rss_mib": r / MIB, "output_mib": 0.0})
        rows.append(_median_row("export --period 2025 (%s)" % kind, exp))
        rows.append(_median_row("verify --pack (%s)" % kind, ver))
        if os.path.isdir(out):
            shutil.rmtree(out)
        elif os.path.exists(out):
            os.unlink(out)
    return {"rows": rows}


# ---- bench/run's entry points ----------------------------------------------------


def run_all(ctx, quick, year, fill_year):
    """Runs the three scenarios.  year is what bench/run's
    scenario_report_year() returned (its "conf" and "state" are used);
    fill_year is bench/run's.  Returns a JSON-able dict for print_tables()."""
    res = {"quick": quick}
    res["idle"] = scenario_idle(ctx, 20 if quick else 60)
    res["pack_year"] = scenario_pack_year(ctx, year["conf"], year["state"])
    hosts, audit = (500, 100000) if quick else (5000, 1000000)
    res["kpi_year"] = scenario_kpi_year(ctx, hosts, audit, fill_year)
    res["targets"] = [{"target": n, "result": "PASS" if ok else "MISS"} for n, ok in idle_targets(res["idle"])]
    return res


def _cell(v):
    return "%.3g (%.3g-%.3g)" % (v["median"], v["min"], v["max"])


def print_tables(res):
    """Prints the Markdown tables; returns the targets as (name, ok) pairs
    for bench/run's target table."""
    f = res["idle"]
    print("\n### Idle daemon: 8 sources and one webhook, %.0f s after start-up settled (%.0f s)\n"
          % (f["window_s"], f["settle_s"]))
    print("| RSS MiB | anon MiB | file MiB | VmHWM MiB | CPU s/min | wake-ups/min | main-thread wake-ups | "
          "threads started |\n|---:|---:|---:|---:|---:|---:|---:|---:|")
    print("| %.1f | %.1f | %.1f | %.1f | %.3f | %.1f | %d | %d |"
          % (f["rss_mib"], f["rss_anon_mib"], f["rss_file_mib"], f["hwm_mib"], f["cpu_s_per_min"],
             f["wakeups_per_min"], f["main_wakeups"], f["threads_started"]))
    k = res["kpi_year"]
    print("\n### KPI evaluation and NC raise over a year (%d hosts daily, %d audit events: %d facts; store %.0f MiB,"
          " filled in %.0f s)\n" % (k["hosts"], k["audit_events"], k["facts"], k["store_mib"], k["fill_s"]))
    print("| step | runs | evaluation s | CPU s over the baseline | run wall s | run CPU s | peak RSS MiB | NCs raised |\n"
          "|---|---:|---:|---:|---:|---:|---:|---:|")
    for r in k["rows"]:
        print("| %s | %d | %s | %s | %s | %s | %s | %s |"
              % (r["scenario"], r["runs"], _cell(r["kpi_s"]) if "kpi_s" in r else "-",
                 "%.2f" % r["kpi_cpu_s"] if "kpi_cpu_s" in r else "-", _cell(r["wall_s"]), _cell(r["cpu_s"]),
                 _cell(r["peak_rss_mib"]), r.get("ncs_raised", "-")))
    print("\n### A year's audit pack (the year-report store)\n")
    print("| step | runs | wall s | CPU s | peak RSS MiB | output MiB |\n|---|---:|---:|---:|---:|---:|")
    for r in res["pack_year"]["rows"]:
        print("| %s | %d | %s | %s | %s | %.1f |" % (r["scenario"], r["runs"], _cell(r["wall_s"]), _cell(r["cpu_s"]),
                                                    _cell(r["peak_rss_mib"]), r["output_mib"]["median"]))
    return [(t["target"], t["result"] == "PASS") for t in res["targets"]]


def _load_run():
    sys.dont_write_bytecode = True
    loader = importlib.machinery.SourceFileLoader("bench_run", os.path.join(SRC, "bench/run"))
    spec = importlib.util.spec_from_loader("bench_run", loader)
    mod = importlib.util.module_from_spec(spec)
    loader.exec_module(mod)
    return mod


def main():
    ap = argparse.ArgumentParser(description="issue #9's idle, KPI and audit-pack scenarios on their own")
    ap.add_argument("--builddir", default=os.environ.get("BUILDDIR", os.path.join(SRC, "build/plain")))
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--quick", action="store_true")
    ap.add_argument("--only", choices=("idle", "kpi", "pack"))
    ap.add_argument("--window", type=float, help="the idle window in seconds (60; 20 with --quick)")
    a = ap.parse_args()

    class Ctx:
        pass
    ctx = Ctx()
    ctx.ismsd = os.path.join(a.builddir, "ismsd")
    ctx.repeat = a.repeat
    if not os.access(ctx.ismsd, os.X_OK):
        raise SystemExit("bench: no ismsd at %s (build first, or pass --builddir)" % ctx.ismsd)
    ctx.tmp = tempfile.mkdtemp(prefix="ismsd-bench-extra-")
    res = {}
    try:
        if a.only in (None, "idle"):
            res["idle"] = scenario_idle(ctx, a.window or (20 if a.quick else 60))
            res["targets"] = [{"target": n, "result": "PASS" if ok else "MISS"} for n, ok in idle_targets(res["idle"])]
        if a.only in (None, "kpi", "pack"):
            run = _load_run()
            hosts, audit = (500, 100000) if a.quick else (5000, 1000000)
            if a.only in (None, "pack"):
                subprocess.run(["sh", os.path.join(SRC, "tests/fakes/mkcerts.sh"), os.path.join(ctx.tmp, "pki")],
                               check=True, stdout=subprocess.DEVNULL)
                year = run.scenario_report_year(ctx, hosts, audit)
                res["pack_year"] = scenario_pack_year(ctx, year["conf"], year["state"])
            if a.only in (None, "kpi"):
                res["kpi_year"] = scenario_kpi_year(ctx, hosts, audit, run.fill_year)
    finally:
        shutil.rmtree(ctx.tmp, ignore_errors=True)
    print(json.dumps(res, indent=2))


if __name__ == "__main__":
    main()
