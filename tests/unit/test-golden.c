/* Golden files for the report: each tests/golden/CASE.model.json is a report
 * as the analysis would hand it over (mounts, processes, holders, what was
 * skipped, the summary, the reference count), written by hand; the text and
 * JSON the renderers make of it must equal CASE.txt and CASE.json byte for
 * byte.  A change of one word or one column fails here, and shows its diff.
 *
 *   test-golden            compare every case (run from the top of the tree)
 *   test-golden --update   write what the renderers print now as expected
 *                          (make golden-update); review the diff, then commit
 *
 * No scan runs: the same model gives the same report on any machine. */
#include <errno.h>
#include <fcntl.h>
#include <glob.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/cleanup.h"
#include "base/json-read.h"
#include "base/parse.h"
#include "base/procfs.h"
#include "model/model.h"
#include "report/report.h"
#include "unit.h"

#define GOLDEN_DIR "tests/golden"

/* The kinds of holder the models show: each must be in one. */
static bool kind_seen[_UMH_KIND_MAX];

static int64_t num(const struct umh_jnode *o, const char *key, int64_t def)
{
	int64_t v;
	return umh_jint(o, key, &v) ? v : def;
}

static uint64_t unum(const struct umh_jnode *o, const char *key)
{
	uint64_t v;
	return umh_juint(o, key, &v) ? v : 0;
}

/* The members of array KEY of OBJ, one at a time. */
#define for_each_member(m, obj, key)                                                                          \
	for (const struct umh_jnode *_a = umh_jget(obj, key), *m = _a && _a->type == UMH_J_ARR ? _a->child : NULL; \
	     m; m = m->next)

/* The roles by the names the JSON report gives them. */
static int role_from_name(const char *s)
{
	static const char *const names[_UMH_ROLE_MAX] = {
		[UMH_ROLE_TARGET] = "target",         [UMH_ROLE_COPY] = "propagated-copy",
		[UMH_ROLE_SAME_FS] = "same-filesystem", [UMH_ROLE_FS] = "mount",
		[UMH_ROLE_FS_DETACHED] = "detached",  [UMH_ROLE_FS_ANON] = "anonymous",
		[UMH_ROLE_FS_INTERNAL] = "internal",  [UMH_ROLE_OVERLAY] = "overlay",
	};
	if (!s)
		return UMH_ROLE_TARGET;
	for (int i = 0; i < _UMH_ROLE_MAX; i++)
		if (names[i] && strcmp(s, names[i]) == 0)
			return i;
	return -EINVAL;
}

/* A namespace the mounts are in (explain of a filesystem, copies). */
static int load_namespace(const struct umh_jnode *o, struct umh_report *r)
{
	struct umh_namespace ns = {
		.inum = unum(o, "inum"),
		.ours = umh_jbool(o, "ours", false),
		.anonymous = umh_jbool(o, "anonymous", false),
		.n_processes = (uint32_t)unum(o, "processes"),
		.comm = (char *)umh_jstr(o, "comm"),
		.cmdline = (char *)umh_jstr(o, "cmdline"),
		.cgroup = (char *)umh_jstr(o, "cgroup"),
		.unit = (char *)umh_jstr(o, "unit"),
		.unit_settings = (char *)umh_jstr(o, "unit_settings"),
		.manager_pid = (int32_t)num(o, "manager_pid", 0),
		.container = (char *)umh_jstr(o, "container"),
		.kept_at = (char *)umh_jstr(o, "kept_at"),
		.kept_ns = unum(o, "kept_ns"),
		.kept_pid = (int32_t)num(o, "kept_pid", 0),
		.kept_fd = (int32_t)num(o, "kept_fd", -1),
		.kept_comm = (char *)umh_jstr(o, "kept_comm"),
	};
	for_each_member(p, o, "pids") {
		long pid;
		if (ns.n_pids == UMH_NS_PIDS || p->type != UMH_J_NUM || umh_parse_long(p->s, 1, INT32_MAX, &pid) < 0)
			return -EINVAL;
		ns.pids[ns.n_pids++] = (int32_t)pid;
	}
	return umh_report_add_namespace(r, &ns);
}

/* What the user named when the report is about a filesystem. */
static int load_fs(const struct umh_jnode *o, struct umh_report *r)
{
	struct umh_fs fs = {
		.view = true,
		.alive = umh_jbool(o, "alive", true),
		.elsewhere = umh_jbool(o, "elsewhere", false),
		.partial = umh_jbool(o, "partial", false),
		.major = (unsigned int)unum(o, "major"),
		.minor = (unsigned int)unum(o, "minor"),
		.from_mnt_id = unum(o, "from_mnt_id"),
		.on_mnt_id = unum(o, "on_mnt_id"),
		.spec = (char *)umh_jstr(o, "spec"),
		.device = (char *)umh_jstr(o, "device"),
		.fstype = (char *)umh_jstr(o, "fstype"),
		.source = (char *)umh_jstr(o, "source"),
	};
	return umh_report_set_fs(r, &fs);
}

/* Fills R from the model in JSON; returns 0, or a negative errno with WHY. */
static int load_model(const struct umh_jnode *root, struct umh_report *r, const char **why)
{
	for_each_member(o, root, "mounts") {
		int role = role_from_name(umh_jstr(o, "role"));
		if (role < 0)
			return *why = "a mount's role", -EINVAL;
		struct umh_mount m = {
			.id = unum(o, "id"),
			.parent_id = unum(o, "parent_id"),
			.major = (unsigned int)unum(o, "major"),
			.minor = (unsigned int)unum(o, "minor"),
			.shared = unum(o, "shared"),
			.master = unum(o, "master"),
			.mntns = unum(o, "mntns"),
			.ns_pid = (int32_t)num(o, "ns_pid", 0),
			.role = (enum umh_mount_role)role,
			.target = (char *)umh_jstr(o, "target"),
			.source = (char *)umh_jstr(o, "source"),
			.fstype = (char *)umh_jstr(o, "fstype"),
			.root = (char *)umh_jstr(o, "root"),
			.options = (char *)umh_jstr(o, "options"),
		};
		if (umh_report_add_mount(r, &m) < 0)
			return *why = "memory", -ENOMEM;
	}
	for_each_member(o, root, "processes") {
		struct umh_process p = {
			.pid = (int32_t)num(o, "pid", 0),
			.uid = (uint32_t)num(o, "uid", 0),
			.user = (char *)umh_jstr(o, "user"),
			.comm = (char *)umh_jstr(o, "comm"),
			.cmdline = (char *)umh_jstr(o, "cmdline"),
		};
		if (umh_report_add_process(r, &p) < 0)
			return *why = "memory", -ENOMEM;
	}
	for_each_member(o, root, "holders") {
		const char *kind = umh_jstr(o, "kind");
		int k = kind ? umh_kind_from_name(kind) : -EINVAL;
		const char *access = umh_jstr(o, "access");
		if (k < 0)
			return *why = "a holder's kind", -EINVAL;
		kind_seen[k] = true;
		if (access && strlen(access) >= sizeof(((struct umh_holder *)0)->access))
			return *why = "a holder's access", -EINVAL;
		struct umh_holder h = {
			.kind = (enum umh_kind)k,
			.mnt_id = unum(o, "mount_id"),
			.pid = (int32_t)num(o, "pid", 0),
			.tid = (int32_t)num(o, "tid", 0),
			.fd = (int32_t)num(o, "fd", -1),
			.deleted = umh_jbool(o, "deleted", false),
			.by_path = umh_jbool(o, "by_path", false),
			.path = (char *)umh_jstr(o, "path"),
			.object = (char *)umh_jstr(o, "object"),
			.detail = (char *)umh_jstr(o, "detail"),
		};
		if (access)
			strcpy(h.access, access);
		if (umh_report_add_holder(r, &h) < 0)
			return *why = "memory", -ENOMEM;
	}
	for_each_member(o, root, "namespaces") {
		if (load_namespace(o, r) < 0)
			return *why = "a namespace", -EINVAL;
	}
	const struct umh_jnode *fs = umh_jget(root, "filesystem");
	if (fs && load_fs(fs, r) < 0)
		return *why = "the filesystem", -EINVAL;
	for_each_member(o, root, "skipped") {
		if (umh_report_add_skip(r, (int32_t)num(o, "pid", 0), (int)num(o, "err", 0), umh_jstr(o, "what"),
					umh_jstr(o, "why")) < 0)
			return *why = "memory", -ENOMEM;
	}

	const struct umh_jnode *s = umh_jget(root, "summary");
	struct umh_report summary = {
		.finished = umh_jbool(s, "finished", true),
		.known_busy = umh_jbool(s, "known_busy", false),
		.unexplained_refs = num(s, "unexplained_refs", -1),
		.method = (char *)umh_jstr(s, "method"),
		.error = (char *)umh_jstr(s, "error"),
		.error_code = (int)num(s, "error_code", 0),
		.incomplete = (char *)umh_jstr(s, "incomplete"),
		.processes_scanned = unum(s, "processes"),
		.fds_scanned = unum(s, "fds"),
		.elapsed_us = unum(s, "elapsed_us"),
	};
	if (umh_report_set_summary(r, &summary) < 0)
		return *why = "memory", -ENOMEM;
	/* Set by the wrapper, not by the scan (model.h). */
	r->still_mounted = umh_jbool(s, "still_mounted", false);

	const struct umh_jnode *c = umh_jget(root, "references");
	if (c) {
		struct umh_refcount refs = {
			.count = num(c, "count", -1),
			.mounted = num(c, "mounted", 1),
			.explained = num(c, "explained", 0),
			.why = (char *)umh_jstr(c, "why"),
		};
		if (umh_report_set_refs(r, &refs) < 0)
			return *why = "memory", -ENOMEM;
	}
	umh_report_sort(r);
	return 0;
}

static int read_file(const char *path, char **ret, size_t *len)
{
	_cleanup_close_ int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	size_t size = 0;
	ssize_t n = umh_read_fd_all(fd, ret, &size, 0);
	if (n < 0)
		return (int)n;
	*len = (size_t)n;
	return 0;
}

static int write_file(const char *path, const char *buf, size_t len)
{
	_cleanup_fclose_ FILE *f = fopen(path, "we");
	if (!f || fwrite(buf, 1, len, f) != len || fflush(f) != 0)
		return -errno;
	return 0;
}

/* What the renderers print for R: text, or JSON (as explain --json, which
 * ends the object with a newline). */
static char *render(const struct umh_report *r, const char *spec, bool json, size_t *len)
{
	char *buf = NULL;
	FILE *m = open_memstream(&buf, len);
	if (!m)
		return NULL;
	if (json) {
		struct umh_json j;
		umh_json_init(&j, m);
		umh_report_write_json(r, spec, &j);
		fputc('\n', m);
	} else {
		umh_report_print_text(r, m);
	}
	if (fclose(m) != 0) {
		free(buf);
		return NULL;
	}
	return buf;
}

/* The first line where GOT and WANT differ, for the TAP diagnostics. */
static void show_difference(const char *got, size_t got_len, const char *want, size_t want_len)
{
	size_t line = 1, i = 0;
	while (i < got_len && i < want_len && got[i] == want[i]) {
		if (got[i] == '\n')
			line++;
		i++;
	}
	size_t g = i, w = i;
	while (g > 0 && got[g - 1] != '\n')
		g--;
	w = g;
	const char *ge = memchr(got + g, '\n', got_len - g), *we = memchr(want + w, '\n', want_len - w);
	printf("#   line %zu, column %zu\n", line, i - g + 1);
	printf("#   got:  %.*s\n", (int)((ge ? (size_t)(ge - got) : got_len) - g), got + g);
	printf("#   want: %.*s\n", (int)((we ? (size_t)(we - want) : want_len) - w), want + w);
}

static bool same(const char *got, size_t got_len, const char *want, size_t want_len)
{
	return got_len == want_len && memcmp(got, want, got_len) == 0;
}

static void check_output(const char *name, const char *what, const char *expected_path, const char *got,
			 size_t got_len, bool update)
{
	if (update) {
		int ret = write_file(expected_path, got, got_len);
		CHECK(ret == 0, "%s: %s written to %s%s%s", name, what, expected_path, ret ? ": " : "",
		      ret ? strerror(-ret) : "");
		return;
	}
	_cleanup_free_ char *want = NULL;
	size_t want_len = 0;
	int ret = read_file(expected_path, &want, &want_len);
	if (ret < 0) {
		CHECK(false, "%s: %s: cannot read %s: %s (make golden-update writes it)", name, what, expected_path,
		      strerror(-ret));
		return;
	}
	bool same_bytes = same(got, got_len, want, want_len);
	CHECK(same_bytes, "%s: %s is %s byte for byte", name, what, expected_path);
	if (!same_bytes)
		show_difference(got, got_len, want, want_len);
}

static void run_case(const char *model_path, bool update)
{
	/* tests/golden/NAME.model.json -> NAME, and the expected files beside it. */
	const char *base = strrchr(model_path, '/') ? strrchr(model_path, '/') + 1 : model_path;
	char name[128], text_path[PATH_MAX], json_path[PATH_MAX];
	snprintf(name, sizeof(name), "%.*s", (int)(strlen(base) - STRLEN(".model.json")), base);
	snprintf(text_path, sizeof(text_path), "%s/%s.txt", GOLDEN_DIR, name);
	snprintf(json_path, sizeof(json_path), "%s/%s.json", GOLDEN_DIR, name);

	_cleanup_free_ char *text = NULL;
	size_t len = 0;
	int ret = read_file(model_path, &text, &len);
	if (ret < 0) {
		CHECK(false, "%s: cannot read %s: %s", name, model_path, strerror(-ret));
		return;
	}
	_cleanup_(umh_jfreep) struct umh_jnode *root = NULL;
	if ((ret = umh_jparse(text, len, &root)) < 0) {
		CHECK(false, "%s: %s is not valid JSON", name, model_path);
		return;
	}
	struct umh_report r;
	umh_report_init(&r);
	const char *why = NULL;
	ret = load_model(root, &r, &why);
	CHECK(ret == 0, "%s: the model loads%s%s", name, why ? ": bad " : "", why ? why : "");
	if (ret == 0) {
		size_t text_len = 0, json_len = 0;
		_cleanup_free_ char *out_text = render(&r, name, false, &text_len);
		_cleanup_free_ char *out_json = render(&r, umh_jstr(root, "spec"), true, &json_len);
		CHECK(out_text && out_json, "%s: rendered", name);
		if (out_text && out_json) {
			check_output(name, "the text report", text_path, out_text, text_len, update);
			check_output(name, "the JSON report", json_path, out_json, json_len, update);
		}
	}
	umh_report_free(&r);
}

/* The comparison itself: one space more, or one word changed, is a
 * difference. */
static void test_comparison(void)
{
	const char *want = "/mnt is held by 1 process.\n      cwd              /mnt\n";
	CHECK(same(want, strlen(want), want, strlen(want)), "the same bytes compare equal");
	const char *moved = "/mnt is held by 1 process.\n      cwd               /mnt\n";
	CHECK(!same(moved, strlen(moved), want, strlen(want)), "a column moved by one is a difference");
	const char *word = "/mnt is held by 1 processus.\n      cwd              /mnt\n";
	CHECK(!same(word, strlen(word), want, strlen(want)), "a word changed is a difference");
}

int main(int argc, char **argv)
{
	bool update = argc > 1 && strcmp(argv[1], "--update") == 0;
	if (argc > 1 && !update) {
		fprintf(stderr, "usage: %s [--update]\n", argv[0]);
		return 1;
	}
	test_comparison();
	glob_t g;
	int ret = glob(GOLDEN_DIR "/*.model.json", 0, NULL, &g);
	CHECK(ret == 0 && g.gl_pathc >= 10, "%zu models in %s (run from the top of the tree)",
	      ret == 0 ? g.gl_pathc : 0, GOLDEN_DIR);
	for (size_t i = 0; ret == 0 && i < g.gl_pathc; i++)
		run_case(g.gl_pathv[i], update);
	if (ret == 0)
		globfree(&g);
	/* A new kind comes with its words in a golden file. */
	for (int k = 0; k < _UMH_KIND_MAX; k++)
		CHECK(kind_seen[k], "kind %s is shown by a model in %s (add a holder of it to one, then make "
		      "golden-update)", umh_kind_name(k), GOLDEN_DIR);
	UNIT_EXIT();
}
