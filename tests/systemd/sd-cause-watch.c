/* sd-cause-watch: waits for systemd to stop mount units and reads the cause
 * at the moment each stop job appears (the JobNew signal), with
 * lib/systemd/cause.c.  Used by tests/systemd/t-systemd-fixture.sh against a
 * real systemd; one JSON object per line on stdout:
 *
 *   {"event":"ready"}
 *   {"event":"JobNew","t_us":...,"id":N,"job":"/org/...","unit":"mnt-b.mount"}
 *   {"event":"cause","t_us":...,"read_us":...,"for_job":N,"unit":...,"kind":...,
 *    "related_unit":...,"related_state":...,"sentence":...,"facts":{...}}
 *   {"event":"JobRemoved","t_us":...,"id":N,"job":...,"unit":...,"result":"done"}
 *   {"event":"UnitRemoved","t_us":...,"unit":...}
 *
 * t_us is CLOCK_REALTIME in microseconds (comparable with `date +%s%6N`).
 *
 * usage: sd-cause-watch [--bus PATH|ADDRESS] [--unit NAME]... [--count N]
 *                       [--wait-gc] [--timeout SECONDS] [--ready FILE] [--ref]
 *   --bus      where systemd listens (see umh_sd_connect), or pid:PID for the
 *              systemd of a container (umh_sd_connect_pid); default the system bus
 *   --unit     only these units (default: every *.mount unit)
 *   --count    exit 0 once N jobs of watched units have been read and removed
 *   --wait-gc  ... and their units were removed (garbage-collected) too
 *   --timeout  exit 2 after this long (default 30 s)
 *   --ready    create this file once subscribed
 *   --ref      call Unit.Ref() on the unit at JobNew, print what happened
 *   --read UNIT|PATH  read the cause for this unit now, print it, exit
 *   --one-connection  read the cause on the connection the signal came on
 *              (from inside its callback: the calls go one by one); by
 *              default a second connection is used, so they are pipelined
 */
#include "systemd/cause.h"

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <systemd/sd-bus.h>

#define MAX_UNITS 16
#define MAX_SEEN 64

static const char *units[MAX_UNITS];
static int n_units;
static int want_count = -1;
static int wait_gc;
static int do_ref;
static sd_bus *reader; /* the connection the cause is read on */

static struct {
	uint32_t id;
	char unit[256];
	int removed, gc;
} seen[MAX_SEEN];
static int n_seen;

static uint64_t now_us(clockid_t clk)
{
	struct timespec ts;
	clock_gettime(clk, &ts);
	return (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
}

static void json_str(const char *s)
{
	if (!s) {
		fputs("null", stdout);
		return;
	}
	putchar('"');
	for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
		if (*p == '"' || *p == '\\')
			printf("\\%c", *p);
		else if (*p < 0x20)
			printf("\\u%04x", *p);
		else
			putchar(*p);
	}
	putchar('"');
}

static void json_kv(const char *k, const char *v, int comma)
{
	printf("%s\"%s\":", comma ? "," : "", k);
	json_str(v);
}

static void json_strv(const char *k, char **l)
{
	printf(",\"%s\":[", k);
	for (int i = 0; l && l[i]; i++) {
		if (i)
			putchar(',');
		json_str(l[i]);
	}
	putchar(']');
}

static int watched(const char *unit)
{
	size_t n = strlen(unit);

	if (n_units == 0)
		return n > 6 && strcmp(unit + n - 6, ".mount") == 0;
	for (int i = 0; i < n_units; i++)
		if (strcmp(units[i], unit) == 0)
			return 1;
	return 0;
}

static void print_cause(const struct umh_sd_cause *c, uint64_t t0, uint32_t for_job)
{
	const struct umh_sd_unit_facts *f = &c->facts;
	uint64_t t = now_us(CLOCK_REALTIME);

	printf("{\"event\":\"cause\",\"t_us\":%" PRIu64 ",\"read_us\":%" PRIu64 ",\"for_job\":%" PRIu32,
	       t, t - t0, for_job);
	json_kv("unit", c->unit, 1);
	json_kv("kind", umh_sd_cause_kind_name(c->kind), 1);
	json_kv("related_unit", c->related_unit, 1);
	json_kv("related_state", c->related_state, 1);
	json_kv("related_job", c->related_job, 1);
	json_kv("sentence", c->sentence, 1);
	printf(",\"facts\":{\"job_id\":%" PRIu32, f->job_id);
	json_kv("job_type", f->job_type, 1);
	json_kv("id", f->id, 1);
	json_kv("load_state", f->load_state, 1);
	json_kv("active_state", f->active_state, 1);
	json_kv("sub_state", f->sub_state, 1);
	json_kv("what", f->what, 1);
	json_kv("where", f->where, 1);
	json_kv("type", f->fstype, 1);
	json_kv("result", f->result, 1);
	json_kv("source_path", f->source_path, 1);
	json_kv("fragment_path", f->fragment_path, 1);
	json_kv("invocation_id", f->invocation_id, 1);
	printf(",\"stop_when_unneeded\":%s,\"need_daemon_reload\":%s,\"gone\":%s,\"consistent\":%s"
	       ",\"pinned\":%s",
	       f->stop_when_unneeded ? "true" : "false", f->need_daemon_reload ? "true" : "false",
	       f->gone ? "true" : "false", f->consistent ? "true" : "false", f->pinned ? "true" : "false");
	json_strv("binds_to", f->binds_to);
	json_strv("requires", f->requires);
	json_strv("part_of", f->part_of);
	json_strv("triggered_by", f->triggered_by);
	json_strv("conflicts", f->conflicts);
	json_strv("conflicted_by", f->conflicted_by);
	json_strv("required_by", f->required_by);
	json_strv("wanted_by", f->wanted_by);
	json_strv("bound_by", f->bound_by);
	json_strv("drop_in_paths", f->drop_in_paths);
	printf("}}\n");
}

static int on_job_new(sd_bus_message *m, void *userdata, sd_bus_error *ret_error)
{
	uint64_t t0 = now_us(CLOCK_REALTIME);
	sd_bus *bus = userdata;
	struct umh_sd_cause c;

	const char *path, *unit;
	uint32_t id;
	int r;

	(void)ret_error;
	r = sd_bus_message_read(m, "uos", &id, &path, &unit);
	if (r < 0)
		return 0;
	if (!watched(unit))
		return 0;
	printf("{\"event\":\"JobNew\",\"t_us\":%" PRIu64 ",\"id\":%" PRIu32, t0, id);
	json_kv("job", path, 1);
	json_kv("unit", unit, 1);
	printf("}\n");
	if (n_seen < MAX_SEEN) {
		seen[n_seen].id = id;
		snprintf(seen[n_seen].unit, sizeof(seen[n_seen].unit), "%s", unit);
		n_seen++;
	}
	if (do_ref) {
		r = umh_sd_ref_unit(bus, unit);
		printf("{\"event\":\"Ref\",\"unit\":");
		json_str(unit);
		printf(",\"r\":%d", r);
		json_kv("error", r < 0 ? strerror(-r) : NULL, 1);
		printf("}\n");
	}
	r = umh_sd_read_cause(reader ? reader : bus, unit, &c);
	if (r < 0) {
		printf("{\"event\":\"cause-error\",\"unit\":");
		json_str(unit);
		printf(",\"errno\":%d", -r);
		json_kv("error", strerror(-r), 1);
		printf("}\n");
	} else {
		print_cause(&c, t0, id);
		umh_sd_cause_done(&c);
	}
	fflush(stdout);
	return 0;
}

static int on_job_removed(sd_bus_message *m, void *userdata, sd_bus_error *ret_error)
{
	const char *path, *unit, *result;
	uint32_t id;

	(void)userdata;
	(void)ret_error;
	if (sd_bus_message_read(m, "uoss", &id, &path, &unit, &result) < 0 || !watched(unit))
		return 0;
	printf("{\"event\":\"JobRemoved\",\"t_us\":%" PRIu64 ",\"id\":%" PRIu32, now_us(CLOCK_REALTIME), id);
	json_kv("job", path, 1);
	json_kv("unit", unit, 1);
	json_kv("result", result, 1);
	printf("}\n");
	fflush(stdout);
	for (int i = 0; i < n_seen; i++)
		if (seen[i].id == id)
			seen[i].removed = 1;
	return 0;
}

static int on_unit_removed(sd_bus_message *m, void *userdata, sd_bus_error *ret_error)
{
	const char *unit, *path;

	(void)userdata;
	(void)ret_error;
	if (sd_bus_message_read(m, "so", &unit, &path) < 0 || !watched(unit))
		return 0;
	printf("{\"event\":\"UnitRemoved\",\"t_us\":%" PRIu64, now_us(CLOCK_REALTIME));
	json_kv("unit", unit, 1);
	printf("}\n");
	fflush(stdout);
	/* systemd may collect the unit before it sends JobRemoved: both
	 * orders count. */
	for (int i = 0; i < n_seen; i++)
		if (strcmp(seen[i].unit, unit) == 0)
			seen[i].gc = 1;
	return 0;
}

static int done(void)
{
	int n = 0;

	if (want_count < 0)
		return 0;
	for (int i = 0; i < n_seen; i++)
		if (seen[i].removed && (!wait_gc || seen[i].gc))
			n++;
	return n >= want_count;
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "bus", required_argument, NULL, 'b' },
		{ "unit", required_argument, NULL, 'u' },
		{ "count", required_argument, NULL, 'c' },
		{ "wait-gc", no_argument, NULL, 'g' },
		{ "timeout", required_argument, NULL, 't' },
		{ "ready", required_argument, NULL, 'r' },
		{ "ref", no_argument, NULL, 'R' },
		{ "one-connection", no_argument, NULL, '1' },
		{ "read", required_argument, NULL, 'x' },
		{ 0 }
	};
	const char *where = NULL, *ready = NULL;
	int one_connection = 0;
	const char *read_now = NULL;
	double timeout = 30;
	sd_bus *bus = NULL;
	sd_bus_slot *s1 = NULL, *s2 = NULL, *s3 = NULL;
	uint64_t deadline;
	int c, r, rc = 1;

	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (c) {
		case 'b': where = optarg; break;
		case 'u':
			if (n_units < MAX_UNITS)
				units[n_units++] = optarg;
			break;
		case 'c': want_count = atoi(optarg); break;
		case 'g': wait_gc = 1; break;
		case 't': timeout = atof(optarg); break;
		case 'r': ready = optarg; break;
		case 'R': do_ref = 1; break;
		case '1': one_connection = 1; break;
		case 'x': read_now = optarg; break;
		default:
			fprintf(stderr, "usage: %s [--bus PATH|ADDRESS|pid:PID] [--unit NAME]... [--count N] "
			                "[--wait-gc] [--timeout S] [--ready FILE] [--ref] [--one-connection] "
			                "[--read UNIT|PATH]\n",
			        argv[0]);
			return 64;
		}
	}

	for (int i = 0; i < (one_connection ? 1 : 2); i++) {
		if (where && strncmp(where, "pid:", 4) == 0)
			r = umh_sd_connect_pid((pid_t)atoi(where + 4), i ? &reader : &bus);
		else
			r = umh_sd_connect(where, i ? &reader : &bus);
		if (r < 0)
			break;
	}
	if (r < 0) {
		fprintf(stderr, "sd-cause-watch: cannot connect to systemd at %s: %s\n",
		        where ? where : "the system bus", strerror(-r));
		return 1;
	}
	if (read_now) {
		struct umh_sd_cause cause;

		r = umh_sd_read_cause(bus, read_now, &cause);
		if (r < 0) {
			fprintf(stderr, "sd-cause-watch: cannot read the cause for %s: %s\n", read_now,
			        strerror(-r));
			goto out;
		}
		print_cause(&cause, now_us(CLOCK_REALTIME), 0);
		umh_sd_cause_done(&cause);
		rc = 0;
		goto out;
	}
	if ((r = sd_bus_match_signal(bus, &s1, NULL, "/org/freedesktop/systemd1",
	                             "org.freedesktop.systemd1.Manager", "JobNew", on_job_new, bus)) < 0 ||
	    (r = sd_bus_match_signal(bus, &s2, NULL, "/org/freedesktop/systemd1",
	                             "org.freedesktop.systemd1.Manager", "JobRemoved", on_job_removed, bus)) < 0 ||
	    (r = sd_bus_match_signal(bus, &s3, NULL, "/org/freedesktop/systemd1",
	                             "org.freedesktop.systemd1.Manager", "UnitRemoved", on_unit_removed, bus)) < 0) {
		fprintf(stderr, "sd-cause-watch: cannot subscribe: %s\n", strerror(-r));
		goto out;
	}
	printf("{\"event\":\"ready\"}\n");
	fflush(stdout);
	if (ready) {
		int fd = open(ready, O_WRONLY | O_CREAT | O_CLOEXEC, 0644);
		if (fd >= 0)
			close(fd);
	}

	deadline = now_us(CLOCK_MONOTONIC) + (uint64_t)(timeout * 1e6);
	for (;;) {
		uint64_t t;

		r = sd_bus_process(bus, NULL);
		if (r < 0) {
			fprintf(stderr, "sd-cause-watch: lost the bus: %s\n", strerror(-r));
			goto out;
		}
		if (done()) {
			rc = 0;
			goto out;
		}
		if (r > 0)
			continue;
		t = now_us(CLOCK_MONOTONIC);
		if (t >= deadline) {
			fprintf(stderr, "sd-cause-watch: timed out after %.1f s\n", timeout);
			rc = 2;
			goto out;
		}
		r = sd_bus_wait(bus, deadline - t);
		if (r < 0) {
			fprintf(stderr, "sd-cause-watch: wait: %s\n", strerror(-r));
			goto out;
		}
	}
out:
	sd_bus_slot_unref(s1);
	sd_bus_slot_unref(s2);
	sd_bus_slot_unref(s3);
	sd_bus_flush_close_unref(bus);
	sd_bus_flush_close_unref(reader);
	return rc;
}
