/* The mount table's changes, matched with the umount calls that made them. */
#include "watch/watch-internal.h"

/* Matches the mounts of B with their calls and queues the events: the
 * mounts a call named first, then what went along.  Frees B's mounts. */
static int match_late(struct umh_watch *w, struct late *b)
{
	_cleanup_free_ struct umh_wevent *evs = calloc(b->n, sizeof(*evs));
	struct umh_wmatch_in in = {
		.calls = w->bpf ? &w->calls : NULL,
		.no_calls_why = w->bpf_why,
		.mntns = w->mntns,
		.table = &w->table,
		.now_boot_ns = b->seen_boot_ns,
		.now_real_us = b->seen_real_us,
	};
	int r = evs ? umh_wmatch(&in, b->gone, b->n, evs) : -ENOMEM;
	if (r >= 0) {
		for (int pass = 0; pass < 2; pass++)
			for (size_t i = 0; i < b->n; i++)
				if ((evs[i].how == UMH_WHOW_TAKEN_ALONG) == (pass == 1))
					umh_watch_queue(w, &evs[i]);
	}
	for (size_t i = 0; i < b->n; i++)
		umh_wmount_clear(&b->gone[i]);
	free(b->gone);
	*b = (struct late){ 0 };
	return r;
}

/* Matches the batches whose calls have all come, or have waited
 * CALL_LATE_NS (ALL: every one, at the end), in order. */
int umh_watch_match_ready(struct umh_watch *w, bool all)
{
	int r = 0;
	int64_t now = umh_boot_ns();
	while (w->n_late) {
		struct late *b = &w->late[0];
		struct umh_wmatch_in in = {
			.calls = &w->calls,
			.mntns = w->mntns,
			.table = &w->table,
			.now_boot_ns = b->seen_boot_ns,
		};
		if (!all && w->bpf && now < b->seen_boot_ns + CALL_LATE_NS && umh_wmatch_unexplained(&in, b->gone, b->n) > 0)
			break;
		int k = match_late(w, b);
		r = r < 0 ? r : k;
		memmove(&w->late[0], &w->late[1], (w->n_late - 1) * sizeof(w->late[0]));
		w->late[--w->n_late] = (struct late){ 0 };
	}
	return r;
}

int umh_watch_table_changed(struct umh_watch *w)
{
	struct umh_wtable now;
	int r = umh_wtable_read(w->mi_fd, &now);
	if (r < 0)
		return r;
	_cleanup_free_ struct umh_wmount *gone = NULL;
	size_t n_gone, n_added;
	int64_t t = umh_wall_us();
	r = umh_wtable_diff(&w->table, &now, t, &gone, &n_gone, &n_added);
	if (r < 0) {
		umh_wtable_free(&now);
		return r;
	}
	if (w->cfg.verbose && n_added) {
		char clock[16];
		for (size_t i = 0; i < now.n; i++) {
			if (now.v[i].seen_us != t)
				continue;
			_cleanup_free_ char *target = umh_escape(now.v[i].target ? now.v[i].target : "");
			_cleanup_free_ char *fstype = umh_escape(now.v[i].fstype ? now.v[i].fstype : "");
			umh_watch_note_line(w, "%s %s (%s, mount id %" PRIu64 ") mounted\n", umh_format_clock(t, clock, sizeof(clock)),
				 target ? target : "", fstype ? fstype : "", now.v[i].id);
		}
	}
	umh_wtable_free(&w->table);
	w->table = now;
	if (!n_gone)
		return 0;
	/* Matched when their calls have come (umh_watch_match_ready), in order; the
	 * oldest goes out with what is known when there are too many. */
	if (w->n_late == MAX_LATE)
		umh_watch_match_ready(w, true);
	w->late[w->n_late++] = (struct late){ .gone = TAKE_PTR(gone), .n = n_gone,
					       .seen_boot_ns = umh_boot_ns(), .seen_real_us = t };
	return umh_watch_match_ready(w, false);
}

/* Calls the BPF side could not send (ring buffer full) or the list could
 * not keep: their unmounts are reported without a caller.  Said once per
 * change. */
void umh_watch_say_lost(struct umh_watch *w)
{
	uint64_t lost = (w->bpf ? umh_umount_trace_lost(&w->trace) : 0) + w->calls.lost;
	if (lost == w->lost_said)
		return;
	char clock[16];
	umh_watch_note_line(w, "%s %" PRIu64 " umount call%s could not be traced (too many at once): their unmounts show no caller\n",
		  umh_format_clock(umh_wall_us(), clock, sizeof(clock)), lost - w->lost_said, lost - w->lost_said == 1 ? "" : "s");
	w->lost_said = lost;
}

/* Calls the rate bound held back (umount.h): said when there were more,
 * at most every RATE_SAY_NS (a flood goes on: a line a second of it would
 * be a flood of its own), and at the END. */
void umh_watch_say_rate_limited(struct umh_watch *w, bool end)
{
	uint64_t st[UMH_USTAT_N];
	int64_t now = umh_boot_ns();
	if (!w->bpf || (!end && now < w->rate_check_ns))
		return;
	w->rate_check_ns = now + 1000000000LL;
	if ((!end && w->rate_said_ns && now - w->rate_said_ns < RATE_SAY_NS) ||
	    umh_umount_trace_stats(&w->trace, st) < 0 || st[UMH_USTAT_RATE] == w->rate_said)
		return;
	w->rate_said_ns = now;
	char clock[16];
	uint64_t n = st[UMH_USTAT_RATE] - w->rate_said;
	umh_watch_note_line(w, "%s %" PRIu64 " umount call%s over the rate bound (%d a second for one uid, %d for root's failures) "
		     "%s not traced\n",
		  umh_format_clock(umh_wall_us(), clock, sizeof(clock)), n, n == 1 ? "" : "s", UMH_UMOUNT_RATE_USER,
		  UMH_UMOUNT_RATE_ROOT, n == 1 ? "was" : "were");
	w->rate_said = st[UMH_USTAT_RATE];
}

/* Successful umount calls here that no table change showed.  Not while
 * mounts gone wait for their calls: the call may be theirs. */
void umh_watch_orphans(struct umh_watch *w, bool all)
{
	if (!w->bpf || w->n_late)
		return;
	struct umh_wmatch_in in = {
		.calls = &w->calls,
		.mntns = w->mntns,
		/* At the end, every call: there is no later table to wait for. */
		.now_boot_ns = umh_boot_ns() + (all ? UMH_WMATCH_ORPHAN_NS : 0),
		.now_real_us = umh_wall_us(),
	};
	for (size_t i = 0; i < w->calls.n; i++) {
		struct umh_wevent ev;
		if (umh_wmatch_orphan(&in, &w->calls.v[i], &ev) > 0)
			umh_watch_queue(w, &ev);
	}
}
