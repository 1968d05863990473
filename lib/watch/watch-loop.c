/* The watcher's loop: its descriptors polled until it is told to stop. */
#include "watch/watch-internal.h"

static void lost_systemd(struct umh_watch *w, int r)
{
	char clock[16];
	umh_watch_note_line(w, "%s lost the connection to systemd at %s: %s; trying again every %lld s\n",
		 umh_format_clock(umh_wall_us(), clock, sizeof(clock)), w->sdw.where, strerror(-r), SD_RETRY_NS / 1000000000);
	snprintf(w->sd_why, sizeof(w->sd_why), "the connection to %s was lost: %s", w->sdw.where, strerror(-r));
	umh_sdw_close(&w->sdw);
	w->sd = false;
	w->sd_retry_ns = umh_boot_ns() + SD_RETRY_NS;
}

static void retry_systemd(struct umh_watch *w)
{
	if (w->sd || !w->sd_retry_ns || umh_boot_ns() < w->sd_retry_ns)
		return;
	char why[512];
	snprintf(why, sizeof(why), "%s", w->sd_why);
	umh_watch_open_systemd(w);
	if (w->sd) {
		char clock[16];
		umh_watch_note_line(w, "%s connected to systemd at %s again\n",
			 umh_format_clock(umh_wall_us(), clock, sizeof(clock)), w->sdw.where);
		w->sd_retry_ns = 0;
	} else {
		snprintf(w->sd_why, sizeof(w->sd_why), "%s", why);
		w->sd_retry_ns = umh_boot_ns() + SD_RETRY_NS;
	}
}

int umh_watch_run(struct umh_watch *w)
{
	int64_t end = w->cfg.duration_ns ? umh_boot_ns() + w->cfg.duration_ns : 0;
	int ret = 0;
	bool sd_more = false; /* systemd messages read but not handled yet */
	for (;;) {
		struct pollfd pfd[9];
		size_t n = 0, i_sig, i_mi, i_bpf = SIZE_MAX, i_pid = SIZE_MAX;
		i_sig = n;
		pfd[n++] = (struct pollfd){ .fd = w->sigfd, .events = POLLIN };
		i_mi = n;
		pfd[n++] = (struct pollfd){ .fd = w->mi_fd, .events = POLLPRI };
		if (w->bpf) {
			i_bpf = n;
			pfd[n++] = (struct pollfd){ .fd = umh_umount_trace_fd(&w->trace), .events = POLLIN };
		}
		if (w->pidfd >= 0) {
			i_pid = n;
			pfd[n++] = (struct pollfd){ .fd = w->pidfd, .events = POLLIN };
		}
		if (umh_wfailed_fd(&w->failed) >= 0)
			pfd[n++] = (struct pollfd){ .fd = umh_wfailed_fd(&w->failed), .events = POLLIN };
		if (w->sd)
			n += umh_sdw_pollfds(&w->sdw, &pfd[n]);

		int64_t now = umh_boot_ns(), wait = 1000LL * 1000000;
		if (w->n_pending && w->pending[0].deadline_ns - now < wait)
			wait = w->pending[0].deadline_ns - now;
		if (w->n_late && w->late[0].seen_boot_ns + CALL_LATE_NS - now < wait)
			wait = w->late[0].seen_boot_ns + CALL_LATE_NS - now;
		if (end && end - now < wait)
			wait = end - now;
		wait = umh_wfailed_wait_ns(&w->failed, now, wait);
		if (sd_more)
			wait = 0;
		if (wait < 0)
			wait = 0;
		int k = poll(pfd, n, (int)((wait + 999999) / 1000000));
		if (k < 0 && errno != EINTR) {
			ret = -errno;
			snprintf(w->stop_reason, sizeof(w->stop_reason), "poll: %s", strerror(errno));
			break;
		}
		if (k > 0 && (pfd[i_sig].revents & POLLIN)) {
			struct signalfd_siginfo si;
			if (read(w->sigfd, &si, sizeof(si)) == sizeof(si)) {
				snprintf(w->stop_reason, sizeof(w->stop_reason), "%s", sigabbrev_np((int)si.ssi_signo));
				break;
			}
		}
		/* The calls first: a call is mostly in before the table
		 * change it caused is read (one that comes later is waited
		 * for: umh_watch_match_ready()).  Then the table, then systemd: a JobNew
		 * read takes 10-20 ms, and a mount that systemd stops at once
		 * must be seen in the table before that.  An event that needs
		 * the cause waits for it (umh_watch_queue()). */
		if (w->bpf)
			umh_umount_trace_consume(&w->trace);
		if (k > 0 && (pfd[i_mi].revents & (POLLPRI | POLLERR))) {
			int r = umh_watch_table_changed(w);
			if (r < 0) {
				ret = r;
				snprintf(w->stop_reason, sizeof(w->stop_reason), "reading the mount table: %s", strerror(-r));
				break;
			}
		}
		umh_watch_match_ready(w, false);
		sd_more = false;
		if (w->sd) {
			int r = umh_sdw_process(&w->sdw);
			if (r < 0)
				lost_systemd(w, r);
			sd_more = r > 0;
		}
		retry_systemd(w);
		umh_wfailed_tick(&w->failed, umh_boot_ns(), false);
		umh_watch_say_lost(w);
		umh_watch_say_rate_limited(w, false);
		umh_watch_orphans(w, false);
		umh_watch_flush_pending(w, false);
		umh_wcalls_expire(&w->calls, umh_boot_ns(), CALLS_KEEP_NS);
		if (i_bpf != SIZE_MAX && (pfd[i_bpf].revents & (POLLERR | POLLHUP))) {
			snprintf(w->stop_reason, sizeof(w->stop_reason), "the BPF ring buffer failed");
			ret = -EIO;
			break;
		}
		if (i_pid != SIZE_MAX && k > 0 && (pfd[i_pid].revents & POLLIN)) {
			snprintf(w->stop_reason, sizeof(w->stop_reason), "pid %d, whose mount namespace was watched, exited",
				 (int)w->ns_pid);
			break;
		}
		/* Stdout gone (watch | head): go on only for a record. */
		if (w->stdout_gone && !w->record) {
			snprintf(w->stop_reason, sizeof(w->stop_reason), "stdout is gone");
			break;
		}
		if (end && umh_boot_ns() >= end) {
			snprintf(w->stop_reason, sizeof(w->stop_reason), "the duration ran out");
			break;
		}
	}
	sd_notify(0, "STOPPING=1");
	/* A last look: what changed just before the stop still counts. */
	if (w->bpf)
		umh_umount_trace_consume(&w->trace);
	if (ret == 0)
		umh_watch_table_changed(w);
	umh_watch_match_ready(w, true);
	umh_watch_orphans(w, true);
	umh_watch_flush_pending(w, true);
	umh_wfailed_tick(&w->failed, umh_boot_ns(), true);
	umh_watch_say_rate_limited(w, true);
	char clock[16];
	umh_watch_note_line(w, "%s stopped (%s): %" PRIu64 " unmount%s seen.\n", umh_format_clock(umh_wall_us(), clock, sizeof(clock)),
		 w->stop_reason, w->unmounts, w->unmounts == 1 ? "" : "s");
	umh_watch_lifecycle(w, "watch-stop");
	return ret;
}
