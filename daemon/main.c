/*
 * main.c: ismsd, the ISMS evidence daemon: options, start-up, the sd-event
 * main loop (signals, the job timer, the watchdog), worker threads that run
 * one collection each, reload and clean shutdown.
 *
 * Concurrency: each due source runs in its own worker thread (at most
 * [daemon] workers at once) with its own store connection, so a slow vendor
 * never blocks the loop or the other sources.  A worker reports back through
 * a pipe; the main thread alone touches the schedule and the configuration.
 */
#include "autoconfig.h"

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/file.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <curl/curl.h>
#include <systemd/sd-event.h>

#include "calendar.h"
#include "chain.h"
#include "collector.h"
#include "daemon.h"
#include "deliver.h"
#include "kpi.h"
#include "log.h"
#include "metrics.h"
#include "notify.h"
#include "report.h"
#include "sched.h"
#include "store.h"
#include "util.h"

#define RETRY_BASE_S 300 /* first retry after a failed run */
#define DELIVERY_JOB SIZE_MAX /* a job's idx when it drains the webhook outbox */
#define REPORT_JOB (SIZE_MAX - 1) /* a job's idx when it writes the scheduled reports */
/* How often the outbox is checked for events that ismsctl wrote but could not
 * wake the daemon for (SIGUSR1 not permitted); everything else that writes
 * an event, or makes a delivery due, wakes the deliverer itself. */
#define OUTBOX_POLL_S 300

/* A configuration and the collectors made from it.  Jobs hold a reference
 * so that a reload never frees what a running collection uses. */
struct generation {
	unsigned refs; /* main thread only */
	struct config *cfg;
	struct source {
		struct collector *col;
		struct sched_cadence cadence;
		int enabled;
		uint64_t jitter_s; /* a random delay of up to this much, per run */
	} *src;
	size_t n;
};

/* Per source name, kept across reloads. */
struct source_state {
	char *name;
	time_t last_run; /* start of the last run, any outcome */
	unsigned failures;
	int running;
};

struct job {
	struct daemon_ctx *d;
	struct generation *gen;
	size_t idx;
	pthread_t thread;
	char store_path[4096];
	struct collector_result res;
	time_t next_due; /* a delivery job: the next retry due, 0 for none */
};

struct daemon_ctx {
	const char *config_path;
	char *config_abs; /* config_path made absolute before daemon() */
	int once;
	struct generation *gen;
	struct source_state *state; /* parallel to gen->src */
	struct sched_queue queue;
	struct store *store; /* main-thread connection */
	struct chain_key *key; /* signs each committed run's manifest */
	char store_path[4096];
	sd_event *ev;
	sd_event_source *job_timer;
	sd_event_source *watchdog_timer;
	sd_event_source *stop_timer;
	sd_event_source *judge_timer; /* the next evidence-gap or activity deadline */
	sd_event_source *deliver_timer; /* the next webhook retry */
	int delivering;			/* a delivery job is running */
	int reporting;			/* a scheduled-report job is running */
	int metrics_failing;		/* the last metrics write failed (logged once) */
	int deliver_again;		/* new events arrived while it ran */
	int64_t outbox_seen;		/* the newest outbox event a pass has started after */
	time_t deliver_next;		/* the last pass's next retry or re-send due, 0 for none */
	uint64_t watchdog_usec;
	int done_pipe[2];
	int lock_fd;
	time_t last_prune;
	atomic_int cancel;
	unsigned running;
	unsigned once_left;
	unsigned once_failed;
	int stopping;
};

/* ---- generations ---------------------------------------------------------- */

static void generation_unref(struct generation *g)
{
	if (g == NULL || --g->refs > 0)
		return;
	for (size_t i = 0; i < g->n; i++)
		collector_free(g->src[i].col);
	free(g->src);
	config_free(g->cfg);
	free(g);
}

/* Takes ownership of cfg.  Returns NULL (cfg freed) with errors in errs. */
static struct generation *generation_new(struct config *cfg, struct config_errors *errs)
{
	struct generation *g = calloc(1, sizeof(*g));
	if (g == NULL) {
		config_free(cfg);
		return NULL;
	}
	g->refs = 1;
	g->cfg = cfg;
	size_t n = 0;
	for (const struct config_section *s = config_next(cfg, "source", NULL); s; s = config_next(cfg, "source", s))
		n++;
	g->src = calloc(n ? n : 1, sizeof(*g->src));
	if (g->src == NULL)
		goto fail;
	for (const struct config_section *s = config_next(cfg, "source", NULL); s; s = config_next(cfg, "source", s)) {
		struct source *src = &g->src[g->n];
		src->col = collector_configure(s, errs);
		if (src->col == NULL)
			goto fail;
		g->n++;
		const char *sched = config_get_default(s, "schedule", src->col->ops->default_schedule);
		char err[256];
		if (sched_cadence_parse(sched, &src->cadence, err, sizeof(err)) < 0) {
			config_errors_add(errs, s->file, s->line, "[source %s] %s", s->name, err);
			goto fail;
		}
		src->enabled = config_get_bool(s, "enabled", 1);
		src->jitter_s = config_get_duration(s, "jitter", 0);
	}
	return g;
fail:
	generation_unref(g);
	return NULL;
}

/* ---- scheduling ----------------------------------------------------------- */

static uint64_t usec_of(time_t t)
{
	return (uint64_t)t * 1000000u;
}

static void update_status(struct daemon_ctx *d)
{
	if (d->stopping) {
		notify_status("stopping: waiting for %u run(s) to roll back", d->running);
		return;
	}
	size_t job;
	time_t due;
	if (d->running > 0) {
		notify_status("collecting: %u source(s) running, %zu configured", d->running, d->gen->n);
	} else if (sched_queue_peek(&d->queue, &job, &due) == 0) {
		char when[UTIL_ISO_TIME_LEN];
		util_time_iso(due, when);
		notify_status("idle: %zu source(s); next: %s at %s", d->gen->n, d->gen->src[job].col->name, when);
	} else {
		notify_status("idle: no sources enabled");
	}
}

static void arm_job_timer(struct daemon_ctx *d)
{
	size_t job;
	time_t due;
	if (d->stopping || sched_queue_peek(&d->queue, &job, &due) < 0 ||
	    d->running >= d->gen->cfg->daemon.workers) {
		sd_event_source_set_enabled(d->job_timer, SD_EVENT_OFF);
	} else {
		sd_event_source_set_time(d->job_timer, usec_of(due));
		sd_event_source_set_enabled(d->job_timer, SD_EVENT_ONESHOT);
	}
	update_status(d);
}

static void schedule_source(struct daemon_ctx *d, size_t i, time_t now)
{
	struct source *src = &d->gen->src[i];
	struct source_state *ss = &d->state[i];
	if (!src->enabled || ss->running) {
		sched_queue_remove(&d->queue, i);
		return;
	}
	if (d->once) {
		/* --once queues every source itself, at start, and never again. */
		sched_queue_remove(&d->queue, i);
		return;
	}
	time_t due = sched_next_due(&src->cadence, ss->last_run, now, d->gen->cfg->daemon.timezone);
	if (ss->failures > 0) {
		/* Retry a failed source sooner than its next slot, backing off. */
		uint64_t delay = RETRY_BASE_S;
		for (unsigned k = 1; k < ss->failures && delay < sched_cadence_period(&src->cadence); k++)
			delay *= 2;
		if (delay > sched_cadence_period(&src->cadence))
			delay = sched_cadence_period(&src->cadence);
		time_t retry = ss->last_run + (time_t)delay;
		if (retry < due)
			due = retry < now ? now : retry;
	}
	if (src->jitter_s > 0 && ss->failures == 0) {
		uint32_t r = 0;
		if (getrandom(&r, sizeof(r), 0) == sizeof(r))
			due += (time_t)(r % (src->jitter_s + 1));
	}
	if (sched_queue_set(&d->queue, i, due) < 0)
		log_warnx("source %s: cannot schedule: out of memory", src->col->name);
}

/* A delivery job: one pass over the webhook outbox. */
static void deliver_job(struct job *j)
{
	struct store *st = NULL;
	char err[512];
	struct deliver_stats stats;
	if (store_open(j->store_path, 0, &st, err, sizeof(err)) < 0) {
		log_event(LOG_EV_STORE_ERROR, LOG_ERR, NULL, "webhook delivery: %s", err);
		j->next_due = util_now() + 60;
	} else if (deliver_pass(st, j->gen->cfg, &j->d->cancel, &stats) < 0) {
		log_event(LOG_EV_STORE_ERROR, LOG_ERR, NULL, "webhook delivery: %s", store_errmsg(st));
		j->next_due = util_now() + 60;
	} else {
		if (stats.delivered + stats.failed + stats.dead > 0)
			log_info("webhooks: %u delivered, %u to retry, %u given up", stats.delivered, stats.failed,
				 stats.dead);
		j->next_due = stats.next_due;
	}
	store_close(st);
}

/* A scheduled-report job: the reports of the periods that just ended. */
static void report_job(struct job *j)
{
	struct store *st = NULL;
	struct soa *soa = NULL;
	struct config_errors errs = { 0 };
	char err[512] = "";
	int made = 0;
	daemon_soa_load(j->gen->cfg, &soa, &errs);
	config_errors_free(&errs);
	if (store_open(j->store_path, 0, &st, err, sizeof(err)) < 0 ||
	    report_run_scheduled(st, j->gen->cfg, soa, chain_key_id(j->d->key), util_now(), &made, err, sizeof(err)) < 0)
		log_event(LOG_EV_STORE_ERROR, LOG_ERR, NULL, "scheduled reports: %s", err);
	else if (made > 0)
		log_notice("scheduled reports: %d written", made);
	soa_free(soa);
	store_close(st);
}

static void *job_main(void *arg)
{
	struct job *j = arg;
	struct store *st = NULL;
	char err[512];
	if (j->idx == DELIVERY_JOB) {
		deliver_job(j);
		goto done;
	}
	if (j->idx == REPORT_JOB) {
		report_job(j);
		goto done;
	}
	int bad = store_open(j->store_path, 0, &st, err, sizeof(err)) < 0;
	if (!bad && store_set_max_size(st, j->gen->cfg->daemon.max_store_bytes) < 0) {
		snprintf(err, sizeof(err), "cannot set max_store_size: %s", store_errmsg(st));
		bad = 1;
	}
	if (!bad)
		bad = chain_attach(st, j->d->key, NULL, err, sizeof(err)) < 0;
	if (bad) {
		store_close(st);
		st = NULL;
		snprintf(j->res.error, sizeof(j->res.error), "%s", err);
		j->res.outcome = "failed";
		log_event(LOG_EV_RUN_FAILED, LOG_ERR, j->gen->src[j->idx].col->name, "source %s: %s",
			  j->gen->src[j->idx].col->name, err);
	} else {
		int r = collector_run(j->gen->src[j->idx].col, st, j->gen->cfg, &j->d->cancel, &j->res);
		/* New evidence: measure the KPIs and update nonconformities. */
		const char *name = j->gen->src[j->idx].col->name;
		if (r == 0 && !atomic_load(&j->d->cancel)) {
			int breached = 0;
			struct timespec t0, t1;
			clock_gettime(CLOCK_MONOTONIC, &t0);
			if (kpi_evaluate(st, j->gen->cfg, util_now(), &breached) < 0) {
				log_event(LOG_EV_STORE_ERROR, LOG_ERR, name, "KPI evaluation after source %s failed: %s",
					  name, store_errmsg(st));
			} else {
				clock_gettime(CLOCK_MONOTONIC, &t1);
				log_info("source %s: KPIs evaluated in %.3fs: %d breached", name,
					 (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9,
					 breached);
			}
		}
		store_close(st);
	}
done:;
	ssize_t w;
	do
		w = write(j->d->done_pipe[1], &j, sizeof(j));
	while (w < 0 && errno == EINTR);
	return NULL;
}

static int start_job(struct daemon_ctx *d, size_t i)
{
	struct job *j = calloc(1, sizeof(*j));
	if (j == NULL)
		return -ENOMEM;
	j->d = d;
	j->gen = d->gen;
	j->idx = i;
	snprintf(j->store_path, sizeof(j->store_path), "%s", d->store_path);
	d->gen->refs++;
	int r = pthread_create(&j->thread, NULL, job_main, j);
	if (r != 0) {
		d->gen->refs--;
		free(j);
		return -r;
	}
	d->state[i].running = 1;
	d->state[i].last_run = util_now();
	d->running++;
	return 0;
}

/* Starts a pass over the webhook outbox, or asks for another one after
 * the pass that is running. */
static void maybe_deliver(struct daemon_ctx *d)
{
	if (d->stopping || !deliver_configured(d->gen->cfg))
		return;
	if (d->delivering) {
		d->deliver_again = 1;
		return;
	}
	(void)deliver_has_work(d->store, &d->outbox_seen, util_now());
	struct job *j = calloc(1, sizeof(*j));
	if (j == NULL)
		return;
	j->d = d;
	j->gen = d->gen;
	j->idx = DELIVERY_JOB;
	snprintf(j->store_path, sizeof(j->store_path), "%s", d->store_path);
	d->gen->refs++;
	int r = pthread_create(&j->thread, NULL, job_main, j);
	if (r != 0) {
		log_warnx("cannot start the webhook deliverer: %s", strerror(r));
		d->gen->refs--;
		free(j);
		return;
	}
	d->delivering = 1;
	d->running++;
}

static void arm_deliver_timer(struct daemon_ctx *d);

/* A retry or an Alertmanager re-send is due, or it is time for the fallback
 * look at the outbox (events ismsctl wrote without waking us). */
static int on_deliver_timer(sd_event_source *s, uint64_t usec, void *userdata)
{
	(void)s;
	(void)usec;
	struct daemon_ctx *d = userdata;
	time_t now = util_now();
	/* a re-send is not in the outbox: only the time says it is due */
	int work = d->deliver_next > 0 && d->deliver_next <= now ? 1 : deliver_has_work(d->store, &d->outbox_seen, now);
	if (work != 0)
		maybe_deliver(d); /* on a store error too: the pass logs it */
	else
		arm_deliver_timer(d);
	return 0;
}

/* Wakes when the last pass's next retry or re-send is due, or for the
 * fallback look at the outbox, whichever is sooner.  Idle, that is one
 * wake-up per OUTBOX_POLL_S. */
static void arm_deliver_timer(struct daemon_ctx *d)
{
	if (d->stopping || d->once || !deliver_configured(d->gen->cfg))
		return;
	if (d->deliver_timer == NULL &&
	    sd_event_add_time(d->ev, &d->deliver_timer, CLOCK_REALTIME, 0, 1000000u, on_deliver_timer, d) < 0)
		return;
	time_t poll = util_now() + OUTBOX_POLL_S;
	time_t next = d->deliver_next;
	sd_event_source_set_time(d->deliver_timer, usec_of(next > 0 && next < poll ? next : poll));
	sd_event_source_set_enabled(d->deliver_timer, SD_EVENT_ONESHOT);
}

static void finish_delivery(struct daemon_ctx *d, struct job *j)
{
	pthread_join(j->thread, NULL);
	d->running--;
	d->delivering = 0;
	time_t next = j->next_due;
	generation_unref(j->gen);
	free(j);
	if (d->stopping)
		return;
	d->deliver_next = next;
	if (d->deliver_again || (next > 0 && next <= util_now())) {
		/* new events, or a full batch left more to send */
		d->deliver_again = 0;
		maybe_deliver(d);
		return;
	}
	arm_deliver_timer(d);
}

static int on_job_timer(sd_event_source *s, uint64_t usec, void *userdata)
{
	(void)s;
	(void)usec;
	struct daemon_ctx *d = userdata;
	time_t now = util_now();
	size_t job;
	time_t due;
	while (!d->stopping && d->running - (unsigned)d->delivering - (unsigned)d->reporting < d->gen->cfg->daemon.workers &&
	       sched_queue_peek(&d->queue, &job, &due) == 0 && due <= now) {
		sched_queue_remove(&d->queue, job);
		int r = start_job(d, job);
		if (r < 0) {
			log_warnx("source %s: cannot start a worker: %s", d->gen->src[job].col->name, strerror(-r));
			sched_queue_set(&d->queue, job, now + 60);
			break;
		}
	}
	arm_job_timer(d);
	return 0;
}

static struct source_state *state_by_name(struct daemon_ctx *d, const char *name, size_t *idx)
{
	for (size_t i = 0; i < d->gen->n; i++) {
		if (strcmp(d->state[i].name, name) == 0) {
			if (idx)
				*idx = i;
			return &d->state[i];
		}
	}
	return NULL;
}

static void finish_job(struct daemon_ctx *d, struct job *j)
{
	pthread_join(j->thread, NULL);
	d->running--;
	const char *name = j->gen->src[j->idx].col->name;
	int ok = strcmp(j->res.outcome, "success") == 0;
	size_t idx;
	struct source_state *ss = state_by_name(d, name, &idx);
	if (ss != NULL) {
		ss->running = 0;
		ss->failures = ok ? 0 : ss->failures + 1;
		if (!d->stopping)
			schedule_source(d, idx, util_now());
	}
	if (d->once) {
		if (!ok)
			d->once_failed++;
		if (d->once_left > 0)
			d->once_left--;
	}
	generation_unref(j->gen);
	free(j);
}

/* Evidence gaps and overdue activities: checked now, and again at the next
 * moment one could change. */
static int on_judge(sd_event_source *s, uint64_t usec, void *userdata);

/* The Prometheus textfile, when [metrics] textfile_dir is set.  A failure
 * is logged once, and again when it clears; it never stops collection. */
static void write_metrics(struct daemon_ctx *d)
{
	const struct config_section *ms = config_find(d->gen->cfg, "metrics", NULL);
	const char *dir = ms ? config_get(ms, "textfile_dir") : NULL;
	if (dir == NULL)
		return;
	char err[512];
	int r = metrics_write(d->store, d->gen->cfg, dir, util_now(), err, sizeof(err));
	if (r < 0 && !d->metrics_failing)
		log_warnx("metrics: %s", err);
	else if (r == 0 && d->metrics_failing)
		log_notice("metrics: %s/ismsd.prom is written again", dir);
	d->metrics_failing = r < 0;
}

/* Starts a scheduled-report job when a month, quarter or year has ended
 * since the last one (the job itself checks what is due; the check is
 * cheap, the writing is not, so it runs off the main thread). */
static void maybe_report(struct daemon_ctx *d)
{
	if (d->stopping || d->reporting || !report_scheduled_enabled(d->gen->cfg) ||
	    report_scheduled_pending(d->store, util_now()) == 0)
		return;
	struct job *j = calloc(1, sizeof(*j));
	if (j == NULL)
		return;
	j->d = d;
	j->gen = d->gen;
	j->idx = REPORT_JOB;
	snprintf(j->store_path, sizeof(j->store_path), "%s", d->store_path);
	d->gen->refs++;
	int r = pthread_create(&j->thread, NULL, job_main, j);
	if (r != 0) {
		log_warnx("cannot start the scheduled-report job: %s", strerror(r));
		d->gen->refs--;
		free(j);
		return;
	}
	d->reporting = 1;
	d->running++;
}

static void judge(struct daemon_ctx *d)
{
	time_t next = 0;
	time_t now = util_now();
	/* retention, at most hourly: raw pages older than it lose their bytes
	 * (their evidence rows and SHA-256 stay) */
	if (now - d->last_prune >= 3600) {
		int pruned = 0;
		d->last_prune = now;
		if (store_prune_pages(d->store, now - (time_t)d->gen->cfg->daemon.retention_s, &pruned) < 0)
			log_event(LOG_EV_STORE_ERROR, LOG_ERR, NULL, "retention pruning failed: %s", store_errmsg(d->store));
		else if (pruned > 0)
			log_notice("retention: the bytes of %d raw page(s) older than the retention period were pruned",
				   pruned);
	}
	if (calendar_evaluate(d->store, d->gen->cfg, util_now(), &next) < 0) {
		log_event(LOG_EV_STORE_ERROR, LOG_ERR, NULL, "calendar check failed: %s", store_errmsg(d->store));
		next = util_now() + 600;
	}
	if (d->judge_timer == NULL)
		sd_event_add_time(d->ev, &d->judge_timer, CLOCK_REALTIME, 0, 1000000u, on_judge, d);
	if (d->judge_timer == NULL)
		return;
	if (next > 0 && !d->stopping) {
		sd_event_source_set_time(d->judge_timer, usec_of(next + 1));
		sd_event_source_set_enabled(d->judge_timer, SD_EVENT_ONESHOT);
	} else {
		sd_event_source_set_enabled(d->judge_timer, SD_EVENT_OFF);
	}
	write_metrics(d);
	maybe_report(d);
	/* whatever the runs and the calendar raised goes out now */
	maybe_deliver(d);
}

static int on_judge(sd_event_source *s, uint64_t usec, void *userdata)
{
	(void)s;
	(void)usec;
	judge(userdata);
	return 0;
}

static int on_job_done(sd_event_source *s, int fd, uint32_t revents, void *userdata)
{
	(void)s;
	(void)revents;
	struct daemon_ctx *d = userdata;
	struct job *j;
	ssize_t n = read(fd, &j, sizeof(j));
	if (n != sizeof(j))
		return 0;
	if (j->idx == DELIVERY_JOB) {
		finish_delivery(d, j);
	} else if (j->idx == REPORT_JOB) {
		pthread_join(j->thread, NULL);
		d->running--;
		d->reporting = 0;
		generation_unref(j->gen);
		free(j);
		maybe_deliver(d); /* their report.generated events */
	} else {
		finish_job(d, j);
		if (!d->stopping)
			judge(d);
	}
	if ((d->stopping || d->once) && d->running == 0 && (d->stopping || d->once_left == 0))
		sd_event_exit(d->ev, 0);
	else
		arm_job_timer(d);
	return 0;
}

/* ---- signals and reload --------------------------------------------------- */

static int on_stop_deadline(sd_event_source *s, uint64_t usec, void *userdata)
{
	(void)s;
	(void)usec;
	struct daemon_ctx *d = userdata;
	log_warnx("%u run(s) did not stop within the shutdown timeout; they are marked interrupted at next start",
		  d->running);
	sd_event_exit(d->ev, 0);
	return 0;
}

static int on_stop(sd_event_source *s, const struct signalfd_siginfo *si, void *userdata)
{
	(void)s;
	struct daemon_ctx *d = userdata;
	if (d->stopping)
		return 0;
	d->stopping = 1;
	atomic_store(&d->cancel, 1);
	notify_stopping();
	log_event(LOG_EV_STOPPING, LOG_NOTICE, NULL, "received %s, stopping; %u run(s) in flight are rolled back",
		  strsignal((int)si->ssi_signo), d->running);
	sd_event_source_set_enabled(d->job_timer, SD_EVENT_OFF);
	update_status(d);
	if (d->running == 0) {
		sd_event_exit(d->ev, 0);
		return 0;
	}
	uint64_t now;
	sd_event_now(d->ev, CLOCK_MONOTONIC, &now);
	sd_event_add_time(d->ev, &d->stop_timer, CLOCK_MONOTONIC,
			  now + d->gen->cfg->daemon.shutdown_timeout_s * 1000000u, 0, on_stop_deadline, d);
	return 0;
}

static void log_config_errors(const struct config_errors *errs, enum log_event ev)
{
	for (size_t i = 0; i < errs->n; i++)
		log_event(ev, LOG_ERR, NULL, "%s", errs->msgs[i]);
}

/* Builds the per-source state for a new generation, carrying over what the
 * old one knew about sources of the same name. */
static struct source_state *carry_state(struct daemon_ctx *d, struct generation *g)
{
	struct source_state *ns = calloc(g->n ? g->n : 1, sizeof(*ns));
	if (ns == NULL)
		return NULL;
	for (size_t i = 0; i < g->n; i++) {
		ns[i].name = strdup(g->src[i].col->name);
		struct source_state *old = d->gen ? state_by_name(d, g->src[i].col->name, NULL) : NULL;
		if (old != NULL) {
			ns[i].last_run = old->last_run;
			ns[i].failures = old->failures;
			ns[i].running = old->running;
		}
	}
	return ns;
}

static void free_state(struct source_state *s, size_t n)
{
	if (s == NULL)
		return;
	for (size_t i = 0; i < n; i++)
		free(s[i].name);
	free(s);
}

/* Seeds last_run from the store so that a restart does not re-run sources
 * that ran recently, and a missed slot runs once. */
static void load_last_runs(struct daemon_ctx *d)
{
	json_t *sum = NULL;
	if (store_source_summary(d->store, &sum) < 0)
		return;
	for (size_t i = 0; i < d->gen->n; i++) {
		json_t *e = json_object_get(sum, d->state[i].name);
		const char *started = json_string_value(json_object_get(json_object_get(e, "last_run"), "started_at"));
		const char *outcome = json_string_value(json_object_get(json_object_get(e, "last_run"), "outcome"));
		time_t t;
		if (started != NULL && util_time_parse(started, &t) == 0) {
			d->state[i].last_run = t;
			if (outcome != NULL && strcmp(outcome, "success") != 0)
				d->state[i].failures = 1;
		}
	}
	json_decref(sum);
}

static void schedule_all(struct daemon_ctx *d)
{
	sched_queue_free(&d->queue);
	time_t now = util_now();
	for (size_t i = 0; i < d->gen->n; i++) {
		if (d->once && d->gen->src[i].enabled)
			sched_queue_set(&d->queue, i, now);
		else
			schedule_source(d, i, now);
	}
}

static void install_generation(struct daemon_ctx *d, struct generation *g, struct source_state *st)
{
	free_state(d->state, d->gen->n);
	generation_unref(d->gen);
	d->gen = g;
	d->state = st;
	log_set_level(g->cfg->daemon.log_level);
	/* a webhook added now gets the events written from now on */
	if (d->store != NULL && deliver_register(d->store, g->cfg, util_now()) < 0)
		log_event(LOG_EV_STORE_ERROR, LOG_ERR, NULL, "cannot record the configured webhooks: %s",
			  store_errmsg(d->store));
	schedule_all(d);
}

static int on_reload(sd_event_source *s, const struct signalfd_siginfo *si, void *userdata)
{
	(void)s;
	(void)si;
	struct daemon_ctx *d = userdata;
	if (d->stopping)
		return 0;
	notify_reloading();
	notify_status("reloading %s", d->config_path);
	struct config_errors errs = { 0 };
	struct config *cfg = daemon_config_load(d->config_path, 1, &errs);
	struct generation *g = NULL;
	if (cfg != NULL && strcmp(cfg->daemon.state_dir, d->gen->cfg->daemon.state_dir) != 0) {
		config_errors_add(&errs, d->config_path, 0, "state_dir cannot change on reload; restart ismsd");
		config_free(cfg);
		cfg = NULL;
	}
	/* The zone is the process's $TZ, set once before workers exist. */
	if (cfg != NULL && strcmp(cfg->daemon.timezone, d->gen->cfg->daemon.timezone) != 0) {
		config_errors_add(&errs, d->config_path, 0, "timezone cannot change on reload; restart ismsd");
		config_free(cfg);
		cfg = NULL;
	}
	if (cfg != NULL)
		g = generation_new(cfg, &errs);
	struct source_state *st = g ? carry_state(d, g) : NULL;
	if (g == NULL || st == NULL) {
		log_config_errors(&errs, LOG_EV_RELOAD_FAILED);
		log_event(LOG_EV_RELOAD_FAILED, LOG_ERR, NULL,
			  "reload of %s failed with %zu error(s); the previous configuration stays in force",
			  d->config_path, errs.n);
		generation_unref(g);
	} else {
		install_generation(d, g, st);
		judge(d);
		log_event(LOG_EV_RELOADED, LOG_NOTICE, NULL, "configuration %s reloaded: %zu source(s)", d->config_path,
			  g->n);
	}
	config_errors_free(&errs);
	notify_ready();
	arm_job_timer(d);
	return 0;
}

static int on_watchdog(sd_event_source *s, uint64_t usec, void *userdata)
{
	struct daemon_ctx *d = userdata;
	notify_watchdog();
	sd_event_source_set_time(s, usec + d->watchdog_usec / 2);
	return 0;
}

/* ---- start-up --------------------------------------------------------------- */

/* Only one ismsd may write a state directory: a second one would mark the
 * first one's runs interrupted.  The lock is held until the process ends. */
static int lock_state_dir(struct daemon_ctx *d, const char *dir)
{
	char path[4200];
	snprintf(path, sizeof(path), "%s/ismsd.lock", dir);
	d->lock_fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
	if (d->lock_fd < 0) {
		log_warn("cannot open lock file %s", path);
		return -1;
	}
	if (flock(d->lock_fd, LOCK_EX | LOCK_NB) < 0) {
		if (errno == EWOULDBLOCK)
			log_warnx("another ismsd is running with state directory %s (lock %s held); refusing to start",
				  dir, path);
		else
			log_warn("cannot lock %s", path);
		return -1;
	}
	/* The pid, for ismsctl's wake-up (SIGUSR1) after it writes an event;
	 * it signals only while this lock is held. */
	char pid[32];
	int n = snprintf(pid, sizeof(pid), "%ld\n", (long)getpid());
	if (ftruncate(d->lock_fd, 0) < 0 || pwrite(d->lock_fd, pid, (size_t)n, 0) != n)
		log_warn("cannot write the pid to %s", path);
	return 0;
}

static int open_store(struct daemon_ctx *d)
{
	const char *dir = d->gen->cfg->daemon.state_dir;
	if (mkdir(dir, 0700) < 0 && errno != EEXIST) {
		log_warn("cannot create state directory %s", dir);
		return -1;
	}
	if (lock_state_dir(d, dir) < 0)
		return -1;
	if (daemon_store_path(d->gen->cfg, d->store_path, sizeof(d->store_path)) < 0) {
		log_warnx("state directory path too long: %s", dir);
		return -1;
	}
	char err[512];
	if (store_open(d->store_path, STORE_CHECK, &d->store, err, sizeof(err)) < 0) {
		log_event(LOG_EV_STORE_ERROR, LOG_CRIT, NULL, "%s", err);
		return -1;
	}
	if (store_set_max_size(d->store, d->gen->cfg->daemon.max_store_bytes) < 0) {
		log_event(LOG_EV_STORE_ERROR, LOG_CRIT, NULL, "cannot set max_store_size: %s", store_errmsg(d->store));
		return -1;
	}
	char keypath[4096];
	snprintf(keypath, sizeof(keypath), "%s/%s", dir, CHAIN_KEY_FILE);
	if (chain_key_load(keypath, 1, &d->key, err, sizeof(err)) < 0) {
		log_event(LOG_EV_STORE_ERROR, LOG_CRIT, NULL, "%s", err);
		return -1;
	}
	int n = 0;
	if (chain_attach(d->store, d->key, &n, err, sizeof(err)) < 0) {
		log_event(LOG_EV_STORE_ERROR, LOG_CRIT, NULL, "%s", err);
		return -1;
	}
	if (n > 0)
		log_info("evidence chain started: sealed %d run(s) committed before it", n);
	int64_t head = 0;
	char head_sha[65];
	if (chain_head(d->store, &head, head_sha) == 0)
		log_info("evidence chain: key %s, head seq %lld%s%s", chain_key_id(d->key), (long long)head,
			 head ? " sha256 " : "", head ? head_sha : "");
	n = 0;
	if (store_recover(d->store, &n) < 0) {
		log_event(LOG_EV_STORE_ERROR, LOG_CRIT, NULL, "cannot recover interrupted runs: %s",
			  store_errmsg(d->store));
		return -1;
	}
	if (n > 0)
		log_event(LOG_EV_RUN_INTERRUPTED, LOG_WARNING, NULL,
			  "%d run(s) were interrupted by an earlier stop; their staged evidence was discarded", n);
	return 0;
}

/* SIGUSR1: ismsctl wrote an event into the outbox; deliver it now rather
 * than at the next outbox poll. */
static int on_wake(sd_event_source *s, const struct signalfd_siginfo *si, void *userdata)
{
	(void)s;
	log_info("woken by pid %u (SIGUSR1): delivering the outbox now", (unsigned)si->ssi_pid);
	maybe_deliver(userdata);
	return 0;
}

static int setup_loop(struct daemon_ctx *d)
{
	sigset_t mask;
	sigemptyset(&mask);
	sigaddset(&mask, SIGTERM);
	sigaddset(&mask, SIGINT);
	sigaddset(&mask, SIGHUP);
	sigaddset(&mask, SIGUSR1);
	if (sigprocmask(SIG_BLOCK, &mask, NULL) < 0)
		return -errno;
	signal(SIGPIPE, SIG_IGN);
	int r = sd_event_default(&d->ev);
	if (r < 0)
		return r;
	if ((r = sd_event_add_signal(d->ev, NULL, SIGTERM, on_stop, d)) < 0 ||
	    (r = sd_event_add_signal(d->ev, NULL, SIGINT, on_stop, d)) < 0 ||
	    (r = sd_event_add_signal(d->ev, NULL, SIGHUP, on_reload, d)) < 0 ||
	    (r = sd_event_add_signal(d->ev, NULL, SIGUSR1, on_wake, d)) < 0)
		return r;
	if (pipe2(d->done_pipe, O_CLOEXEC) < 0)
		return -errno;
	r = sd_event_add_io(d->ev, NULL, d->done_pipe[0], EPOLLIN, on_job_done, d);
	if (r < 0)
		return r;
	/* Wake at the next due job, to the second; never poll. */
	r = sd_event_add_time(d->ev, &d->job_timer, CLOCK_REALTIME, 0, 1000000u, on_job_timer, d);
	if (r < 0)
		return r;
	sd_event_source_set_enabled(d->job_timer, SD_EVENT_OFF);
	d->watchdog_usec = notify_watchdog_usec();
	if (d->watchdog_usec > 0) {
		uint64_t now;
		sd_event_now(d->ev, CLOCK_MONOTONIC, &now);
		r = sd_event_add_time(d->ev, &d->watchdog_timer, CLOCK_MONOTONIC, now + d->watchdog_usec / 2, 0,
				      on_watchdog, d);
		if (r < 0)
			return r;
		sd_event_source_set_enabled(d->watchdog_timer, SD_EVENT_ON);
	}
	return 0;
}

static void usage(FILE *f)
{
	fprintf(f,
		"usage: ismsd [--config FILE] [--check-config] [--once] [--foreground] [--version]\n"
		"  -c, --config FILE   configuration file (default %s)\n"
		"  -n, --check-config  check the configuration, print problems as FILE:LINE: message, exit 0 or 1\n"
		"      --once          run every enabled source once, then exit (0 all committed, 2 some failed)\n"
		"  -f, --foreground    stay in the foreground and log to stderr\n"
		"  -V, --version       print the version\n",
		DAEMON_DEFAULT_CONFIG);
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "config", required_argument, NULL, 'c' }, { "check-config", no_argument, NULL, 'n' },
		{ "once", no_argument, NULL, 'o' },	    { "foreground", no_argument, NULL, 'f' },
		{ "version", no_argument, NULL, 'V' },	    { "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct daemon_ctx d = { .config_path = DAEMON_DEFAULT_CONFIG, .done_pipe = { -1, -1 }, .lock_fd = -1 };
	int check = 0, foreground = 0;
	for (;;) {
		int c = getopt_long(argc, argv, "c:nfVh", opts, NULL);
		if (c == -1)
			break;
		switch (c) {
		case 'c':
			d.config_path = optarg;
			break;
		case 'n':
			check = 1;
			break;
		case 'o':
			d.once = 1;
			break;
		case 'f':
			foreground = 1;
			break;
		case 'V':
			printf("ismsd %s\n", PACKAGE_VERSION);
			return 0;
		case 'h':
			usage(stdout);
			return 0;
		default:
			usage(stderr);
			return 1;
		}
	}
	if (optind != argc) {
		usage(stderr);
		return 1;
	}
	int under_systemd = getenv("NOTIFY_SOCKET") != NULL || getenv("INVOCATION_ID") != NULL;
	log_init("ismsd", foreground || check || d.once ? LOG_TO_STDERR : LOG_TO_AUTO, LOG_INFO);

	struct config_errors errs = { 0 };
	struct config *cfg = daemon_config_load(d.config_path, 1, &errs);
	if (check) {
		for (size_t i = 0; i < errs.n; i++)
			fprintf(stderr, "%s\n", errs.msgs[i]);
		if (cfg != NULL)
			printf("%s: configuration OK\n", d.config_path);
		config_errors_free(&errs);
		config_free(cfg);
		return cfg != NULL ? 0 : 1;
	}
	struct generation *g = cfg ? generation_new(cfg, &errs) : NULL;
	struct source_state *st = g ? carry_state(&d, g) : NULL;
	if (g == NULL || st == NULL) {
		log_config_errors(&errs, LOG_EV_CONFIG_ERROR);
		log_event(LOG_EV_CONFIG_ERROR, LOG_CRIT, NULL, "refusing to start: %zu configuration error(s) in %s",
			  errs.n, d.config_path);
		config_errors_free(&errs);
		generation_unref(g);
		return 1;
	}
	config_errors_free(&errs);
	d.gen = g;
	d.state = st;
	log_set_level(g->cfg->daemon.log_level);

	sched_set_process_tz(g->cfg->daemon.timezone);
	if (!foreground && !under_systemd && !d.once) {
		/* Detached: reload must still find the file after chdir("/"),
		 * and logs go to the journal, not to a closed stderr. */
		d.config_abs = realpath(d.config_path, NULL);
		if (d.config_abs == NULL)
			fatal("cannot resolve %s", d.config_path);
		d.config_path = d.config_abs;
		if (daemon(0, 0) < 0)
			fatal("cannot daemonize");
		log_init("ismsd", LOG_TO_JOURNAL, g->cfg->daemon.log_level);
	}

	int rc = 1;
	if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
		log_warnx("cannot initialise libcurl");
		goto out;
	}
	if (open_store(&d) < 0)
		goto out;
	load_last_runs(&d);
	if (setup_loop(&d) < 0) {
		log_warn("cannot set up the event loop");
		goto out;
	}
	if (deliver_register(d.store, d.gen->cfg, util_now()) < 0)
		log_event(LOG_EV_STORE_ERROR, LOG_ERR, NULL, "cannot record the configured webhooks: %s",
			  store_errmsg(d.store));
	schedule_all(&d);
	if (d.once) {
		d.once_left = (unsigned)d.queue.n;
		if (d.once_left == 0) {
			log_notice("--once: no enabled sources");
			rc = 0;
			goto out;
		}
	}
	arm_job_timer(&d);
	judge(&d);
	notify_ready();
	log_event(LOG_EV_STARTED, LOG_NOTICE, NULL, "ismsd %s started: %zu source(s), store %s%s", PACKAGE_VERSION,
		  d.gen->n, d.store_path, d.once ? ", running each source once" : "");
	int r = sd_event_loop(d.ev);
	if (r < 0)
		log_warnx("event loop failed: %s", strerror(-r));
	if (!d.stopping)
		notify_stopping();
	rc = r < 0 ? 1 : d.once && d.once_failed > 0 ? 2 : 0;
	if (d.running > 0) {
		/* Workers that did not stop in time still use the store, curl
		 * and the configuration: exit without tearing those down.  Their
		 * runs are cleared as interrupted at the next start. */
		log_warnx("exiting with %u run(s) still in flight", d.running);
		_exit(1);
	}
	log_notice("stopped");
out:
	sd_event_source_unref(d.job_timer);
	sd_event_source_unref(d.deliver_timer);
	sd_event_source_unref(d.watchdog_timer);
	sd_event_source_unref(d.stop_timer);
	sd_event_source_unref(d.judge_timer);
	sd_event_unref(d.ev);
	free_state(d.state, d.gen ? d.gen->n : 0);
	generation_unref(d.gen);
	sched_queue_free(&d.queue);
	store_close(d.store);
	chain_key_free(d.key);
	if (d.done_pipe[0] >= 0) {
		close(d.done_pipe[0]);
		close(d.done_pipe[1]);
	}
	if (d.lock_fd >= 0)
		close(d.lock_fd);
	curl_global_cleanup();
	free(d.config_abs);
	return rc;
}
