/* systemd's plans for a mounted target.  See systemd/risk.h. */
#include "systemd/risk.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "systemd/cause.h"
#include "base/str.h"

static void warn(struct umh_json *j, const char *kind, const char *unit, const char *related, const char *fmt, ...)
	__attribute__((format(printf, 5, 6)));
static void warn(struct umh_json *j, const char *kind, const char *unit, const char *related, const char *fmt, ...)
{
	char *s = NULL;
	va_list ap;
	va_start(ap, fmt);
	if (vasprintf(&s, fmt, ap) < 0)
		s = NULL;
	va_end(ap);
	umh_json_open_object(j, NULL, true);
	umh_json_str(j, "kind", kind);
	umh_json_str(j, "unit", unit);
	umh_json_str(j, "related_unit", related);
	umh_json_str(j, "sentence", s);
	umh_json_close_object(j);
	free(s);
}

int umh_sd_write_risks(sd_bus *bus, const char *mount_point, struct umh_json *j)
{
	struct umh_sd_cause c;
	int r = umh_sd_read_cause(bus, mount_point, &c);
	if (r < 0)
		return r;
	const struct umh_sd_unit_facts *f = &c.facts;
	const char *u = c.unit;
	int n = 0;

	/* systemd must know it as mounted: a mount it does not track (in a
	 * namespace it does not watch) is none of its business. */
	if (!umh_streq_known(f->load_state, "loaded") && !umh_streq_known(f->load_state, "not-found"))
		goto out;
	if (!umh_streq_known(f->active_state, "active") && !umh_streq_known(f->active_state, "activating") &&
	    !umh_streq_known(f->active_state, "deactivating") && !umh_streq_known(f->active_state, "reloading"))
		goto out;

	bool stopping = f->job_id && umh_streq_known(f->job_type, "stop");
	if (stopping) {
		warn(j, "stop-job", u, c.related_unit, "systemd is stopping %s now (job %u), which unmounts %s%s%s", u,
		     f->job_id, mount_point, c.reason ? ": " : "", c.reason ? c.reason : "");
		n++;
	}
	switch (c.kind) {
	case UMH_SD_CAUSE_BINDS_TO_INACTIVE:
		if (!stopping) {
			warn(j, "binds-to-inactive", u, c.related_unit,
			     "systemd would stop %s, which unmounts %s: %s", u, mount_point, c.reason);
			n++;
		}
		break;
	case UMH_SD_CAUSE_STOP_WHEN_UNNEEDED:
		if (!stopping) {
			warn(j, "stop-when-unneeded", u, NULL, "systemd may stop %s at any moment, which unmounts %s: %s",
			     u, mount_point, c.reason);
			n++;
		}
		break;
	case UMH_SD_CAUSE_CONFLICT:
		if (!stopping) {
			warn(j, "conflict", u, c.related_unit, "systemd would stop %s, which unmounts %s: %s", u,
			     mount_point, c.reason);
			n++;
		}
		break;
	case UMH_SD_CAUSE_DEPENDENCY_STOPPING:
		if (!stopping) {
			warn(j, "dependency-stopping", u, c.related_unit,
			     "systemd is about to stop %s, which unmounts %s: %s", u, mount_point, c.reason);
			n++;
		}
		break;
	case UMH_SD_CAUSE_AUTOMOUNT_IDLE:
		warn(j, "automount-idle", u, c.related_unit,
		     "systemd unmounts %s whenever it is unused for a while: %s", mount_point, c.reason);
		n++;
		break;
	case UMH_SD_CAUSE_NEED_DAEMON_RELOAD:
	case UMH_SD_CAUSE_UNKNOWN:
		break;
	}
	if (f->stop_when_unneeded && c.kind != UMH_SD_CAUSE_STOP_WHEN_UNNEEDED && !stopping) {
		warn(j, "stop-when-unneeded", u, NULL,
		     "systemd stops %s, which unmounts %s, as soon as no active unit wants, requires or binds "
		     "to it (StopWhenUnneeded=yes)", u, mount_point);
		n++;
	}
	if (f->need_daemon_reload) {
		if (umh_streq_known(f->source_path, "/etc/fstab"))
			warn(j, "need-daemon-reload", u, NULL,
			     "/etc/fstab changed since systemd last read it (NeedDaemonReload=yes on %s): "
			     "systemd still acts on the old line for %s; run 'systemctl daemon-reload'",
			     u, mount_point);
		else
			warn(j, "need-daemon-reload", u, NULL,
			     "the unit file of %s changed on disk since systemd loaded it (NeedDaemonReload=yes): "
			     "systemd still acts on the old one; run 'systemctl daemon-reload'",
			     u);
		n++;
	}
out:
	umh_sd_cause_done(&c);
	return n;
}
