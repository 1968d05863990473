#include "bpf/scan/scan-run.h"

#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

#include "bpf/common/loader.h"
#include "base/caps.h"
#include "base/cleanup.h"
#include "base/clock.h"
#include "base/debug.h"

/* What one thread walks, in order. */
struct plan {
	enum umh_scan_iter which[2];
	size_t n;
};

/* Unix sockets before tasks: the task walk reads the sockets' files in
 * flight from the map the socket walk filled.  Memory maps meanwhile (the
 * iterators run in the reading thread, on its CPU). */
static const struct plan plans[] = {
	{ { UMH_SCAN_UNIX, UMH_SCAN_TASKS }, 2 },
	{ { UMH_SCAN_VMAS }, 1 },
};
#define N_WALKERS ARRAY_SIZE(plans)
#define N_ITERS 3

struct walker {
	struct umh_scan_run *run;
	const struct plan *plan;
	int fd[2]; /* the plan's iterators, opened by the caller (or -errno) */
	pthread_t thread;
	bool threaded;
};

struct umh_scan_run {
	pthread_mutex_t lock;
	pthread_cond_t changed;
	unsigned refs; /* the caller's, and one per walking thread: under LOCK */
	struct umh_scan_skel *skel;
	struct umh_scan_result live[N_ITERS]; /* written by the walkers, under LOCK */
	struct umh_scan_result seen[N_ITERS]; /* the caller's copy, from its last wait */
	struct walker walkers[N_WALKERS];
};

static void destroy(struct umh_scan_run *run)
{
	for (size_t i = 0; i < N_ITERS; i++)
		free(run->live[i].out);
	umh_scan_skel_free(run->skel);
	pthread_cond_destroy(&run->changed);
	pthread_mutex_destroy(&run->lock);
	free(run);
}

/* Drops one reference, the last of which frees RUN.  Returns with LOCK
 * released either way. */
static void unref_locked(struct umh_scan_run *run)
{
	bool last = --run->refs == 0;
	pthread_mutex_unlock(&run->lock);
	if (last)
		destroy(run);
}

/* Reads the plan's iterators in order, each to its end, and closes them. */
static void walk(struct walker *w)
{
	struct umh_scan_run *run = w->run;
	int failed = 0;
	for (size_t i = 0; i < w->plan->n; i++) {
		enum umh_scan_iter which = w->plan->which[i];
		struct umh_scan_result res = { .finished = true };
		int fd = TAKE_FD(w->fd[i]);
		int64_t t = umh_now_ns();
		if (failed) {
			res.r = -ECANCELED;
			if (fd >= 0)
				close(fd);
		} else {
			res.r = fd < 0 ? fd : umh_bpf_read_iter_fd(fd, &res.out, &res.len);
		}
		failed = res.r;
		/* Which walk takes the time (each runs in its own thread). */
		umh_debug_time("bpf scan: walk", umh_scan_skel_name(which), &t);
		pthread_mutex_lock(&run->lock);
		run->live[which] = res;
		pthread_cond_broadcast(&run->changed);
		pthread_mutex_unlock(&run->lock);
	}
}

static void *walk_thread(void *arg)
{
	struct walker *w = arg;
	struct umh_scan_run *run = w->run;
	/* Reading an iterator needs no capability, and a walk that outlives
	 * the scan must not keep the BPF phase's (capabilities are per
	 * thread).  If they cannot be dropped, the walk is not run. */
	pthread_setname_np(pthread_self(), "umh-walk"); /* for ps, and the tests */
	if (umh_caps_enter(UMH_PHASE_REPORT) < 0)
		for (size_t i = 0; i < w->plan->n; i++)
			if (w->fd[i] >= 0) {
				close(w->fd[i]);
				w->fd[i] = -EPERM;
			}
	walk(w);
	pthread_mutex_lock(&run->lock);
	unref_locked(run);
	return NULL;
}

int umh_scan_run_start(struct umh_scan_skel *skel, struct umh_scan_run **out)
{
	struct umh_scan_run *run = calloc(1, sizeof(*run));
	if (!run) {
		umh_scan_skel_free(skel);
		return -ENOMEM;
	}
	run->skel = skel;
	run->refs = 1;
	pthread_mutex_init(&run->lock, NULL);
	pthread_condattr_t ca;
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC); /* umh_now_ns's clock */
	pthread_cond_init(&run->changed, &ca);
	pthread_condattr_destroy(&ca);

	/* The iterators are opened here, with the BPF phase's capabilities,
	 * and read in threads that hold none. */
	for (size_t i = 0; i < N_WALKERS; i++) {
		struct walker *w = &run->walkers[i];
		*w = (struct walker){ .run = run, .plan = &plans[i] };
		for (size_t k = 0; k < plans[i].n; k++)
			w->fd[k] = umh_scan_skel_open(skel, plans[i].which[k]);
	}
	for (size_t i = 0; i < N_WALKERS; i++) {
		struct walker *w = &run->walkers[i];
		pthread_mutex_lock(&run->lock);
		run->refs++;
		pthread_mutex_unlock(&run->lock);
		w->threaded = pthread_create(&w->thread, NULL, walk_thread, w) == 0;
		if (!w->threaded) {
			pthread_mutex_lock(&run->lock);
			run->refs--;
			pthread_mutex_unlock(&run->lock);
			walk(w);
		}
	}
	*out = run;
	return 0;
}

static bool all_finished(const struct umh_scan_run *run)
{
	for (size_t i = 0; i < N_ITERS; i++)
		if (!run->live[i].finished)
			return false;
	return true;
}

void umh_scan_run_wait(struct umh_scan_run *run, int64_t deadline_ns)
{
	struct timespec until = { .tv_sec = deadline_ns / 1000000000, .tv_nsec = deadline_ns % 1000000000 };
	pthread_mutex_lock(&run->lock);
	while (!all_finished(run)) {
		int r = deadline_ns ? pthread_cond_timedwait(&run->changed, &run->lock, &until)
				    : pthread_cond_wait(&run->changed, &run->lock);
		if (r != 0) /* ETIMEDOUT; nothing else can happen */
			break;
	}
	for (size_t i = 0; i < N_ITERS; i++)
		run->seen[i] = run->live[i];
	pthread_mutex_unlock(&run->lock);
}

const struct umh_scan_result *umh_scan_run_result(const struct umh_scan_run *run, enum umh_scan_iter which)
{
	return &run->seen[which];
}

struct umh_scan_skel *umh_scan_run_skel(const struct umh_scan_run *run)
{
	return run->skel;
}

void umh_scan_run_release(struct umh_scan_run *run)
{
	/* A thread whose walks ended is joined (it is on its way out); one
	 * still walking is left to end on its own. */
	for (size_t i = 0; i < N_WALKERS; i++) {
		struct walker *w = &run->walkers[i];
		if (!w->threaded)
			continue;
		pthread_mutex_lock(&run->lock);
		bool walking = false;
		for (size_t k = 0; k < w->plan->n; k++)
			walking |= !run->live[w->plan->which[k]].finished;
		pthread_mutex_unlock(&run->lock);
		if (walking)
			pthread_detach(w->thread);
		else
			pthread_join(w->thread, NULL);
	}
	pthread_mutex_lock(&run->lock);
	unref_locked(run);
}
