/* umount-helper trace [--duration S] [--stacks] TARGET
 *
 * Follows opens and closes of files on one mount, live.  With kernel probes
 * (fentry, else kprobes) it sees every open, and marks those that never
 * reach a process's descriptor table: files opened by kernel code, printed
 * with the kernel stack that opened them.  Where the kernel allows neither,
 * it follows the open/close system calls, which cannot see kernel opens,
 * and says so first. */
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "bpf/opens/opens-load.h"
#include "bpf/opens/opens.h"
#include "bpf/opens.skel.h"
#include "bpf/common/pathjoin.h"
#include "base/cleanup-mount.h"
#include "base/clock.h"
#include "base/escape.h"
#include "base/ksyms.h"
#include "model/mounttab.h"
#include "bpf/opens/opens-print.h"
#include "cli.h"
#include "umount-helper.h"

/* An open not yet seen reaching a descriptor table.  Process opens get
 * their descriptor within microseconds; one still without it after this
 * long was made by kernel code. */
#define GRACE_NS (200 * 1000000LL)
#define MAX_WAITING 512

struct waiting {
	struct umh_open_event ev;
	int64_t since_ns; /* CLOCK_BOOTTIME when it arrived */
};

struct tracer {
	struct umh_opens o;
	struct umh_opens_printer pr;
	struct waiting *w;
	size_t n_w;
	bool all_stacks;
	uint64_t opens, kernel_opens, closes;
};

static volatile sig_atomic_t stop;
static void on_signal(int sig) { (void)sig; stop = 1; }

static void print_kernel_open(struct tracer *t, const struct umh_open_event *ev, const char *note)
{
	t->kernel_opens++;
	umh_opens_print_line(&t->pr, ev, "kernel-open", -1, note);
	umh_opens_print_stack(&t->pr, ev->stack_id, "      ");
}

static void expire(struct tracer *t, int64_t now, bool all)
{
	size_t k = 0;
	for (size_t i = 0; i < t->n_w; i++) {
		if (all || now - t->w[i].since_ns >= GRACE_NS)
			print_kernel_open(t, &t->w[i].ev, "no descriptor: held by the kernel");
		else
			t->w[k++] = t->w[i];
	}
	t->n_w = k;
}

static struct waiting *find_waiting(struct tracer *t, uint64_t file)
{
	for (size_t i = 0; i < t->n_w; i++)
		if (t->w[i].ev.file == file)
			return &t->w[i];
	return NULL;
}

static void drop_waiting(struct tracer *t, struct waiting *w)
{
	*w = t->w[--t->n_w];
}

static int on_event(void *ctx, void *data, size_t size)
{
	struct tracer *t = ctx;
	const struct umh_open_event *ev = data;
	if (size < sizeof(*ev))
		return 0;
	struct waiting *w;
	switch (ev->kind) {
	case UMH_EV_OPEN:
		t->opens++;
		if (t->o.mode == UMH_OPENS_SYSCALLS) {
			/* The syscall already returned its descriptor. */
			umh_opens_print_line(&t->pr, ev, "open", ev->fd, NULL);
			return 0;
		}
		if (t->n_w == MAX_WAITING)
			expire(t, 0, true);
		t->w[t->n_w++] = (struct waiting){ .ev = *ev, .since_ns = umh_boot_ns() };
		return 0;
	case UMH_EV_INSTALL:
		w = find_waiting(t, ev->file);
		if (!w)
			return 0;
		umh_opens_print_line(&t->pr, &w->ev, "open", ev->fd, NULL);
		if (t->all_stacks)
			umh_opens_print_stack(&t->pr, w->ev.stack_id, "      ");
		drop_waiting(t, w);
		return 0;
	case UMH_EV_CLOSE:
		t->closes++;
		w = find_waiting(t, ev->file);
		if (w) {
			/* Opened and released by kernel code, never a descriptor. */
			print_kernel_open(t, &w->ev, "no descriptor; released again");
			drop_waiting(t, w);
			return 0;
		}
		umh_opens_print_line(&t->pr, ev, "close", ev->fd, NULL);
		return 0;
	}
	return 0;
}

static void usage(FILE *out)
{
	fprintf(out,
		"Usage:\n"
		" %s trace [options] <target>\n"
		"\n"
		"Follow opens and closes of files on the mount <target>, live.  Files opened\n"
		"by kernel code (a module, a subsystem), which no process holds, are marked\n"
		"kernel-open and printed with the kernel stack that opened them.\n"
		"\n"
		"Options:\n"
		"     --duration <seconds>   stop after this long (default: until Ctrl-C)\n"
		"     --stacks               print the kernel stack of every open\n"
		" -h, --help                 display this help\n"
		"\n"
		"Needs fentry or kprobes to see kernel opens; where the kernel allows\n"
		"neither, only opens and closes made through system calls are shown.\n"
		"See '%s doctor'.\n",
		PROGRAM_NAME, PROGRAM_NAME);
}

static inline void ring_buffer_freep(struct ring_buffer **rb) { ring_buffer__free(*rb); }

/* The mount id of TARGET, and its mount point for the header. */
static int resolve(const char *spec, uint32_t *id, char **where)
{
	_cleanup_close_ int procfd = open("/proc", O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (procfd < 0)
		return -errno;
	_cleanup_(mnt_unref_tablep) struct libmnt_table *tb = NULL;
	int r = umh_mounttab_read(procfd, NULL, &tb);
	if (r < 0)
		return r;
	struct libmnt_fs *fs;
	if ((r = umh_mounttab_find(tb, spec, &fs)) < 0)
		return r;
	*id = (uint32_t)mnt_fs_get_id(fs);
	*where = strdup(mnt_fs_get_target(fs) ? mnt_fs_get_target(fs) : spec);
	return *where ? 0 : -ENOMEM;
}

int cmd_trace(int argc, char **argv)
{
	enum { OPT_DURATION = 0x100, OPT_STACKS, OPT_NO_FENTRY, OPT_NO_KPROBE };
	static const struct option longopts[] = {
		{ "duration", required_argument, NULL, OPT_DURATION },
		{ "stacks", no_argument, NULL, OPT_STACKS },
		{ "no-fentry", no_argument, NULL, OPT_NO_FENTRY }, /* testing aids */
		{ "no-kprobe", no_argument, NULL, OPT_NO_KPROBE },
		{ "help", no_argument, NULL, 'h' },
		{ 0 },
	};
	long long duration_ns = 0;
	struct umh_opens_cfg cfg = { .streaming = true, .allow_syscalls = true, .tracer = getpid() };
	struct tracer t = { 0 };
	int c;
	while ((c = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
		switch (c) {
		case OPT_DURATION:
			if (umh_parse_seconds(optarg, &duration_ns) < 0) {
				fprintf(stderr, "%s: invalid duration: '%s'\n", PROGRAM_NAME, optarg);
				return EX_USAGE;
			}
			break;
		case OPT_STACKS:
			t.all_stacks = true;
			break;
		case OPT_NO_FENTRY:
			cfg.no_fentry = true;
			break;
		case OPT_NO_KPROBE:
			cfg.no_kprobe = true;
			break;
		case 'h':
			usage(stdout);
			return EX_OK;
		default:
			return try_help(PROGRAM_NAME, "trace");
		}
	}
	if (optind + 1 != argc) {
		fprintf(stderr, "%s: trace: one target expected\n", PROGRAM_NAME);
		return EX_USAGE;
	}
	_cleanup_free_ char *where = NULL;
	int r = resolve(argv[optind], &cfg.target_mnt_id, &where);
	if (r < 0) {
		fprintf(stderr, "%s: %s: %s\n", PROGRAM_NAME, argv[optind],
			r == -EINVAL ? "not mounted" : strerror(-r));
		return EX_SYSERR;
	}

	char why[1024];
	if ((r = umh_opens_start(&t.o, &cfg, why, sizeof(why))) < 0) {
		fprintf(stderr, "%s: trace: cannot follow opens on this kernel: %s.\n", PROGRAM_NAME, why);
		return EX_SYSERR;
	}
	_cleanup_free_ struct waiting *w = calloc(MAX_WAITING, sizeof(*w));
	_cleanup_(ring_buffer_freep) struct ring_buffer *rb =
		ring_buffer__new(bpf_map__fd(t.o.skel->maps.events), on_event, &t, NULL);
	if (!w || !rb) {
		umh_opens_close(&t.o);
		fprintf(stderr, "%s: trace: out of memory\n", PROGRAM_NAME);
		return EX_SYSERR;
	}
	t.w = w;
	umh_opens_printer_init(&t.pr, stdout, bpf_map__fd(t.o.skel->maps.stacks), bpf_map__fd(t.o.skel->maps.modsyms));

	printf("Tracing opens and closes on ");
	umh_fputs_escaped(where, stdout);
	printf(" (mount id %u) with %s.\n", cfg.target_mnt_id, umh_opens_mode_name(t.o.mode));
	if (t.o.mode == UMH_OPENS_SYSCALLS)
		printf("Files opened inside the kernel (by a module or a subsystem) make no system call: this\n"
		       "kernel allows neither fentry nor kprobes, so they cannot be seen here (%s; %s).\n",
		       t.o.fentry_why, t.o.kprobe_why);
	fflush(stdout);

	struct sigaction sa = { .sa_handler = on_signal };
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	int64_t end = duration_ns ? umh_boot_ns() + duration_ns : 0;
	while (!stop && (!end || umh_boot_ns() < end)) {
		int n = ring_buffer__poll(rb, 100);
		if (n < 0 && n != -EINTR) {
			fprintf(stderr, "%s: trace: reading events: %s\n", PROGRAM_NAME, strerror(-n));
			break;
		}
		expire(&t, umh_boot_ns(), false);
		fflush(stdout);
	}
	ring_buffer__consume(rb);
	expire(&t, 0, true);
	uint64_t lost = t.o.skel->bss->events_lost;
	printf("%" PRIu64 " opens (%" PRIu64 " by the kernel), %" PRIu64 " closes", t.opens, t.kernel_opens, t.closes);
	if (lost)
		printf("; %" PRIu64 " events lost", lost);
	printf(".\n");
	umh_opens_printer_free(&t.pr);
	umh_opens_close(&t.o);
	return EX_OK;
}
