/* Opening the watcher (the namespace, the tracing, systemd, the journal,
 * the record) and closing it. */
#include "watch/watch-internal.h"

/* A successful call is kept for matching (and ends a burst of failures
 * on its target); a failed one (EBUSY) goes to the failures. */
static int on_bpf_event(void *ctx, void *data, size_t size)
{
	struct umh_watch *w = ctx;
	struct umh_wcall call;
	if (umh_wcalls_read_event(&w->calls, data, size, &call) <= 0)
		return 0;
	if (call.ret == 0) {
		umh_wfailed_unmounted(&w->failed, &call, umh_wall_us());
		umh_wcalls_keep(&w->calls, &call);
	} else {
		umh_wfailed_call(&w->failed, &call, umh_boot_ns(), umh_wall_us());
	}
	umh_wcall_clear(&call);
	return 0;
}

/* Opens the mountinfo of the namespace to watch, and notes its inode. */
static int open_namespace(struct umh_watch *w, char *err, size_t size)
{
	const char *ns = w->cfg.ns;
	struct stat st;
	long pid = umh_parse_pid(ns);
	if (!ns) {
		w->mi_fd = openat(w->procfd, "self/mountinfo", O_RDONLY | O_CLOEXEC);
		if (w->mi_fd < 0 || fstatat(w->procfd, "self/ns/mnt", &st, 0) < 0) {
			int r = -errno;
			snprintf(err, size, "cannot open /proc/self/mountinfo: %s", strerror(-r));
			return r;
		}
		w->mntns = st.st_ino;
		w->ns_fd = openat(w->procfd, "self/ns/mnt", O_RDONLY | O_CLOEXEC);
		snprintf(w->ns_desc, sizeof(w->ns_desc), "this mount namespace");
		return 0;
	}
	if (pid) {
		/* /proc/PID/mountinfo: the file keeps the namespace (and the
		 * root it shows paths from) once opened. */
		char name[64];
		snprintf(name, sizeof(name), "%ld/mountinfo", pid);
		w->mi_fd = openat(w->procfd, name, O_RDONLY | O_CLOEXEC);
		snprintf(name, sizeof(name), "%ld/ns/mnt", pid);
		if (w->mi_fd < 0 || fstatat(w->procfd, name, &st, 0) < 0) {
			int r = -errno;
			snprintf(err, size, "cannot open the mount table of pid %ld: %s", pid, strerror(-r));
			return r;
		}
		w->mntns = st.st_ino;
		w->ns_fd = openat(w->procfd, name, O_RDONLY | O_CLOEXEC);
		w->ns_pid = (pid_t)pid;
		/* When that process ends, its namespace may end: stop then. */
		w->pidfd = (int)syscall(SYS_pidfd_open, (pid_t)pid, 0);
		snprintf(w->ns_desc, sizeof(w->ns_desc), "the mount namespace of pid %ld", pid);
		return 0;
	}
	/* A namespace file: enter it just long enough to open our own
	 * mountinfo there (through our /proc: it shows the namespace we are
	 * in), then come back.  Its path is the caller's: shown escaped, on
	 * the terminal as in the record and the journal. */
	_cleanup_free_ char *shown = umh_escape(ns);
	if (!shown) {
		snprintf(err, size, "out of memory");
		return -ENOMEM;
	}
	_cleanup_close_ int nsfd = open(ns, O_RDONLY | O_CLOEXEC);
	_cleanup_close_ int back = openat(w->procfd, "self/ns/mnt", O_RDONLY | O_CLOEXEC);
	if (nsfd < 0 || back < 0 || fstat(nsfd, &st) < 0) {
		int r = -errno;
		snprintf(err, size, "cannot open %s: %s", shown, strerror(-r));
		return r;
	}
	if (setns(nsfd, CLONE_NEWNS) < 0) {
		int r = -errno;
		snprintf(err, size, "cannot enter the mount namespace %s: %s", shown, strerror(-r));
		return r;
	}
	w->mi_fd = openat(w->procfd, "self/mountinfo", O_RDONLY | O_CLOEXEC);
	int e = errno;
	if (setns(back, CLONE_NEWNS) < 0) {
		int r = -errno;
		snprintf(err, size, "cannot return to our mount namespace: %s", strerror(-r));
		return r;
	}
	if (w->mi_fd < 0) {
		snprintf(err, size, "cannot open the mount table of %s: %s", shown, strerror(e));
		return -e;
	}
	w->mntns = st.st_ino;
	w->ns_fd = fcntl(nsfd, F_DUPFD_CLOEXEC, 3);
	snprintf(w->ns_desc, sizeof(w->ns_desc), "the mount namespace %s", shown);
	return 0;
}

void umh_watch_open_systemd(struct umh_watch *w)
{
	const struct umh_watch_cfg *c = &w->cfg;
	if (c->no_systemd) {
		snprintf(w->sd_why, sizeof(w->sd_why), "--no-systemd");
		return;
	}
	if (!c->bus && !c->sd_pid && !w->sdw_where.found) {
		snprintf(w->sd_why, sizeof(w->sd_why), "%s", w->sdw_where.why);
		return;
	}
	const char *bus = c->bus ? c->bus : c->sd_pid ? NULL : w->sdw_where.bus;
	pid_t pid = c->bus ? 0 : c->sd_pid ? c->sd_pid : w->sdw_where.pid;
	w->sdw.on_job = umh_watch_on_job;
	w->sdw.userdata = w;
	w->sd = umh_sdw_open(&w->sdw, bus, pid, w->sd_why, sizeof(w->sd_why)) >= 0;
}

/* systemd sets JOURNAL_STREAM=DEV:INODE when stdout goes to the journal. */
static bool stdout_is_journal(FILE *out)
{
	const char *e = getenv("JOURNAL_STREAM");
	unsigned long long dev, ino;
	struct stat st;
	return e && sscanf(e, "%llu:%llu", &dev, &ino) == 2 && fstat(fileno(out), &st) == 0 &&
	       (unsigned long long)st.st_dev == dev && (unsigned long long)st.st_ino == ino;
}

static void open_journal(struct umh_watch *w)
{
	const struct umh_watch_cfg *c = &w->cfg;
	const char *path = c->journal_socket;
	w->jfd = -1;
	if (c->no_journal)
		return;
	if (!path) {
		/* With a systemd given by hand, its namespace's journal. */
		static char buf[PATH_MAX];
		if (c->sd_pid) {
			snprintf(buf, sizeof(buf), "/proc/%d/root%s", (int)c->sd_pid, UMH_JOURNAL_SOCKET);
			path = buf;
		} else if (w->sdw_where.found) {
			path = w->sdw_where.journal_socket;
		} else if (!c->ns) {
			path = UMH_JOURNAL_SOCKET;
		}
	}
	if (!path || access(path, F_OK) < 0)
		return;
	int fd = umh_journal_connect(path);
	if (fd >= 0) {
		w->jfd = fd;
		snprintf(w->journal_where, sizeof(w->journal_where), "%s", path);
	} else if (c->journal_socket) {
		fprintf(stderr, "umount-helper: watch: cannot connect to the journal at %s: %s\n", path, strerror(-fd));
	}
}

int umh_watch_open(struct umh_watch **ret, const struct umh_watch_cfg *cfg, char *err, size_t size)
{
	struct umh_watch *w = calloc(1, sizeof(*w));
	int r;
	*ret = NULL;
	if (!w)
		return -ENOMEM;
	w->cfg = *cfg;
	w->out = cfg->out ? cfg->out : stdout;
	w->procfd = w->mi_fd = w->pidfd = w->sigfd = w->jfd = w->ns_fd = -1;
	w->rec.dirfd = -1;
	w->pending = calloc(UMH_WATCH_MAX_PENDING, sizeof(*w->pending));
	if (!w->pending) {
		umh_watch_close(w);
		return -ENOMEM;
	}

	/* Signals as events of the loop: a clean stop (the record says
	 * watch-stop) on SIGTERM from systemd, on Ctrl-C. */
	sigset_t mask;
	sigemptyset(&mask);
	sigaddset(&mask, SIGTERM);
	sigaddset(&mask, SIGINT);
	sigaddset(&mask, SIGHUP);
	sigprocmask(SIG_BLOCK, &mask, NULL);
	signal(SIGPIPE, SIG_IGN);
	w->sigfd = signalfd(-1, &mask, SFD_CLOEXEC | SFD_NONBLOCK);

	w->procfd = open("/proc", O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (w->procfd < 0 || w->sigfd < 0) {
		r = -errno;
		snprintf(err, size, "%s: %s", w->procfd < 0 ? "/proc is not mounted" : "signalfd", strerror(-r));
		goto fail;
	}
	/* Everything that depends on our mount namespace comes first: the
	 * BPF loader may enter a private one for a moment. */
	if ((r = open_namespace(w, err, size)) < 0)
		goto fail;
	if ((r = umh_wtable_read(w->mi_fd, &w->table)) < 0) {
		snprintf(err, size, "cannot read the mount table: %s", strerror(-r));
		goto fail;
	}
	umh_sd_locate(w->procfd, cfg->ns, &w->sdw_where);

	const char *dir = cfg->state_dir ? cfg->state_dir : umh_wrecord_dir();
	snprintf(w->record_dir, sizeof(w->record_dir), "%s", dir);
	if (cfg->no_record) {
		snprintf(w->record_why, sizeof(w->record_why), "--no-record");
	} else if ((r = umh_wrecord_open(&w->rec, dir, cfg->max_events)) < 0) {
		snprintf(w->record_why, sizeof(w->record_why), "cannot write to %s: %s", dir, strerror(-r));
	} else {
		w->record = true;
	}
	open_journal(w);
	w->stdout_is_journal = stdout_is_journal(w->out) && !cfg->journal_socket;
	umh_watch_open_systemd(w);

	if ((r = umh_wcalls_init(&w->calls, w->procfd)) < 0) {
		snprintf(err, size, "out of memory");
		goto fail;
	}
	w->calls.mntns = w->mntns;
	struct stat own;
	w->failed = (struct umh_wfailed){
		.own_mntns = fstatat(w->procfd, "self/ns/mnt", &own, 0) == 0 ? own.st_ino : 0,
		.examine = !cfg->no_explain,
		.budget_ns = cfg->explain_budget_ns ? cfg->explain_budget_ns : UMH_WFAILED_BUDGET_NS,
		.procfd = w->procfd,
		.watched_mntns = w->mntns,
		.watched_ns_fd = w->ns_fd,
		.calls = &w->calls,
		.trace = &w->trace,
		.emit = umh_watch_emit_failure,
		.userdata = w,
	};
	if ((r = umh_wfailed_init(&w->failed)) < 0) {
		snprintf(err, size, "out of memory");
		goto fail;
	}
	char why[512] = "--no-bpf was given";
	if (!cfg->no_bpf)
		w->bpf = umh_umount_trace_start(&w->trace, w->ns_fd, on_bpf_event, w, why, sizeof(why)) >= 0;
	if (!w->bpf)
		snprintf(w->bpf_why, sizeof(w->bpf_why), "umount calls are not traced: %s", why);
	snprintf(w->pins_why, sizeof(w->pins_why), "--no-bpf was given");
	snprintf(w->count_pins_why, sizeof(w->count_pins_why), "--no-bpf was given");
	if (!cfg->no_bpf) {
		umh_scan_pin((uint32_t)umh_anon_inode_mnt_id(w->procfd), &w->pins, w->pins_why, sizeof(w->pins_why));
		umh_mntcount_pin(&w->count_pins, w->count_pins_why, sizeof(w->count_pins_why));
	}

	/* The first line: what is watched, and with what. */
	umh_watch_note_line(w, "Watching %s (mnt:[%" PRIu64 "], %zu mounts) for unmounts.\n", w->ns_desc, w->mntns, w->table.n);
	umh_watch_note_line(w, "  callers: %s\n", w->bpf ? "traced (umount system call tracepoints)" : w->bpf_why);
	if (!w->bpf)
		umh_watch_note_line(w, "  failed unmounts: not seen (umount calls are not traced)\n");
	else if (w->failed.examine)
		umh_watch_note_line(w, "  failed unmounts: EBUSY, in any mount namespace, examined there within %.1f s\n",
			 (double)w->failed.budget_ns / 1e9);
	else
		umh_watch_note_line(w, "  failed unmounts: EBUSY, in any mount namespace, counted but not examined (--no-explain)\n");
	if (w->pins)
		umh_watch_note_line(w, "  explain: its BPF scan kept loaded, in %s\n", umh_pins_where(w->pins));
	else
		umh_watch_note_line(w, "  explain: its BPF scan not kept loaded (%s)\n", w->pins_why);
	if (w->count_pins)
		umh_watch_note_line(w, "  explain: its mount-count program kept loaded, in %s\n",
				    umh_pins_where(w->count_pins));
	else
		umh_watch_note_line(w, "  explain: its mount-count program not kept loaded (%s)\n", w->count_pins_why);
	if (w->sd)
		umh_watch_note_line(w, "  systemd: asked at %s when it stops a mount unit\n", w->sdw.where);
	else
		umh_watch_note_line(w, "  systemd: not asked (%s)\n", w->sd_why);
	umh_watch_note_line(w, "  journal: %s\n", w->jfd >= 0 ? w->journal_where : "none");
	if (w->record)
		umh_watch_note_line(w, "  record: %s (the last %zu to %zu events)\n", w->record_dir, w->rec.max_events,
			 2 * w->rec.max_events);
	else
		umh_watch_note_line(w, "  record: none (%s)\n", w->record_why);
	umh_watch_lifecycle(w, "watch-start");
	sd_notify(0, "READY=1\nSTATUS=watching for unmounts");
	*ret = w;
	return 0;
fail:
	umh_watch_close(w);
	return r;
}

void umh_watch_close(struct umh_watch *w)
{
	if (!w)
		return;
	for (size_t i = 0; w->pending && i < w->n_pending; i++)
		umh_wevent_clear(&w->pending[i].ev);
	for (size_t i = 0; i < w->n_late; i++) {
		for (size_t k = 0; k < w->late[i].n; k++)
			umh_wmount_clear(&w->late[i].gone[k]);
		free(w->late[i].gone);
	}
	free(w->pending);
	umh_umount_trace_close(&w->trace);
	umh_pins_release(w->count_pins);
	umh_pins_release(w->pins);
	umh_wfailed_free(&w->failed);
	umh_wcalls_free(&w->calls);
	if (w->sd)
		umh_sdw_close(&w->sdw);
	umh_wrecord_close(&w->rec);
	umh_wtable_free(&w->table);
	int fds[] = { w->procfd, w->mi_fd, w->pidfd, w->sigfd, w->jfd, w->ns_fd };
	for (size_t i = 0; i < ARRAY_SIZE(fds); i++)
		if (fds[i] >= 0)
			close(fds[i]);
	free(w);
}
