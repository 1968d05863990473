/* The report survives the pipe between the analysis and its reader, item
 * by item, and a garbled stream never crashes the reader. */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <unistd.h>

#include "model/model.h"
#include "unit.h"
#include "model/wire.h"

static void sink(struct umh_report *r, enum umh_item type, const void *item, void *userdata)
{
	(void)r;
	umh_wire_send(*(int *)userdata, type, item);
}

static void fill(struct umh_report *r)
{
	struct umh_mount m = { .id = 412, .parent_id = 1, .major = 0, .minor = 63, .shared = 7, .role = UMH_ROLE_TARGET,
			       .target = "/mnt/a\nb", .source = "tmpfs", .fstype = "tmpfs", .root = "/" };
	umh_report_add_mount(r, &m);
	struct umh_process p = { .pid = 4242, .uid = 0, .user = "root", .comm = "bash", .cmdline = "bash -i" };
	umh_report_add_process(r, &p);
	struct umh_holder h = { .kind = UMH_KIND_FD, .mnt_id = 412, .pid = 4242, .tid = 4242, .fd = 3,
				.access = "rw", .deleted = true, .path = "/mnt/a\nb/f\xff" };
	umh_report_add_holder(r, &h);
	struct umh_holder l = { .kind = UMH_KIND_LOOP, .mnt_id = 412, .fd = -1, .by_path = true,
				.path = "/mnt/img", .object = "/dev/loop0" };
	umh_report_add_holder(r, &l);
	umh_report_add_skip(r, 1, EACCES, "pid 1", "permission denied");
	struct umh_report s = { .finished = true, .unexplained_refs = -1, .method = "procfs",
				.processes_scanned = 83, .fds_scanned = 3816, .elapsed_us = 25000 };
	umh_report_set_summary(r, &s);
	struct umh_refcount c = { .count = -1, .mounted = 1, .why = "it is per-CPU memory" };
	umh_report_set_refs(r, &c);
	struct umh_namespace ns = { .inum = 4026532301, .n_processes = 3, .pids = { 17, 23 }, .n_pids = 2,
				    .comm = "ntpd", .unit = "ntp.service", .unit_settings = "PrivateTmp=yes",
				    .manager_pid = 99, .kept_at = "/run/ns\n", .kept_ns = 4026531840, .kept_fd = -1 };
	umh_report_add_namespace(r, &ns);
	struct umh_fs fs = { .view = true, .alive = true, .elsewhere = true, .partial = true, .major = 7, .minor = 3,
			     .on_mnt_id = 77, .spec = "LABEL=x", .device = "/dev/loop3", .fstype = "ext4" };
	umh_report_set_fs(r, &fs);
}

int main(void)
{
	int fds[2];
	if (pipe(fds) < 0)
		return 1;
	struct umh_report src, dst;
	umh_report_init(&src);
	umh_report_init(&dst);
	src.sink = sink;
	src.sink_data = &fds[1];
	fill(&src);
	close(fds[1]);

	char buf[65536];
	ssize_t n = read(fds[0], buf, sizeof(buf));
	close(fds[0]);
	CHECK(n > 0, "the stream has data");
	/* The fuzzer's seed corpus holds this stream (tests/fuzz/corpus/fuzz-wire). */
	const char *seed = getenv("UMH_WIRE_SEED");
	if (seed && n > 0) {
		FILE *f = fopen(seed, "w");
		if (f) {
			fputc(7, f); /* the fuzz target's first byte: the read size */
			fwrite(buf, 1, (size_t)n, f);
			fclose(f);
		}
	}

	/* Feed it one byte at a time: messages arrive torn. */
	struct umh_wire_reader w = { 0 };
	int ret = 0;
	for (ssize_t i = 0; i < n && ret == 0; i++)
		ret = umh_wire_feed(&w, buf + i, 1, &dst);
	umh_wire_reader_free(&w);
	CHECK(ret == 0, "byte-by-byte feed decodes");
	CHECK(dst.n_mounts == 1 && dst.mounts[0].id == 412 && dst.mounts[0].shared == 7, "mount survives");
	CHECK_STR(dst.mounts[0].target, "/mnt/a\nb", "mount target survives");
	CHECK(dst.n_processes == 1 && dst.processes[0].pid == 4242, "process survives");
	CHECK_STR(dst.processes[0].cmdline, "bash -i", "cmdline survives");
	CHECK(dst.n_holders == 2 && dst.holders[0].fd == 3 && dst.holders[0].deleted, "fd holder survives");
	CHECK_STR(dst.holders[0].access, "rw", "access survives");
	CHECK_STR(dst.holders[0].path, "/mnt/a\nb/f\xff", "raw bytes survive");
	CHECK(dst.holders[1].kind == UMH_KIND_LOOP && dst.holders[1].by_path, "loop holder survives");
	CHECK_STR(dst.holders[1].object, "/dev/loop0", "loop device survives");
	CHECK(dst.n_skips == 1 && dst.skips[0].pid == 1, "skip survives");
	CHECK(dst.finished && dst.processes_scanned == 83 && dst.unexplained_refs == -1, "summary survives");
	CHECK_STR(dst.method, "procfs", "method survives");
	CHECK(dst.refs.count == -1 && dst.refs.mounted == 1, "the reference count survives");
	CHECK_STR(dst.refs.why, "it is per-CPU memory", "why it is unknown survives");
	CHECK(dst.n_namespaces == 1 && dst.namespaces[0].inum == 4026532301 && dst.namespaces[0].n_processes == 3 &&
		      dst.namespaces[0].n_pids == 2 && dst.namespaces[0].pids[1] == 23 && dst.namespaces[0].manager_pid == 99 &&
		      dst.namespaces[0].kept_ns == 4026531840 && dst.namespaces[0].kept_fd == -1,
	      "a namespace survives");
	CHECK_STR(dst.namespaces[0].unit_settings, "PrivateTmp=yes", "its unit's settings survive");
	CHECK_STR(dst.namespaces[0].kept_at, "/run/ns\n", "what keeps it survives");
	CHECK(dst.fs.view && dst.fs.alive && dst.fs.elsewhere && dst.fs.partial && dst.fs.major == 7 &&
		      dst.fs.minor == 3 && dst.fs.on_mnt_id == 77,
	      "the filesystem survives");
	CHECK_STR(dst.fs.device, "/dev/loop3", "its device survives");

	/* A stream cut short keeps what arrived whole. */
	struct umh_report cut;
	umh_report_init(&cut);
	struct umh_wire_reader w2 = { 0 };
	CHECK(umh_wire_feed(&w2, buf, (size_t)n / 2, &cut) == 0, "half a stream is not an error");
	CHECK(cut.n_mounts == 1 && !cut.finished, "half a stream keeps whole items only");
	umh_wire_reader_free(&w2);
	umh_report_free(&cut);

	/* Garbage: every byte flipped in turn must never crash or hang. */
	int rejected = 0;
	for (ssize_t i = 0; i < n; i++) {
		char *copy = malloc((size_t)n);
		memcpy(copy, buf, (size_t)n);
		copy[i] ^= 0x5a;
		struct umh_report g;
		umh_report_init(&g);
		struct umh_wire_reader w3 = { 0 };
		if (umh_wire_feed(&w3, copy, (size_t)n, &g) == -EBADMSG)
			rejected++;
		umh_wire_reader_free(&w3);
		umh_report_free(&g);
		free(copy);
	}
	CHECK(rejected > 0, "flipped bytes are rejected somewhere (%d of %zd)", rejected, n);

	umh_report_free(&src);
	umh_report_free(&dst);
	UNIT_EXIT();
}
