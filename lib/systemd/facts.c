/* What systemd says about a unit, read from its D-Bus replies into
 * struct umh_sd_unit_facts and struct umh_sd_unit_briefs (facts.h). */
#include "systemd/facts.h"

#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/grow.h"
#include "base/str.h"
#include "base/strv.h"

int umh_sd_briefs_read(sd_bus_message *reply, struct umh_sd_unit_briefs *out)
{
	const char *name, *desc, *load, *active, *sub, *following, *upath, *jtype, *jpath;
	uint32_t jid;
	int r;

	r = sd_bus_message_enter_container(reply, 'a', "(ssssssouso)");
	if (r < 0)
		return r;
	while ((r = sd_bus_message_read(reply, "(ssssssouso)", &name, &desc, &load, &active, &sub,
	                                &following, &upath, &jid, &jtype, &jpath)) > 0) {
		struct umh_sd_unit_brief *b;

		if (UMH_GROW(out->v, out->cap, out->n + 1, 16) < 0)
			return -ENOMEM;
		b = &out->v[out->n++];
		memset(b, 0, sizeof(*b));
		b->job_id = jid;
		if (!(b->name = strdup(name)) || !(b->load_state = strdup(load)) ||
		    !(b->active_state = strdup(active)) || !(b->sub_state = strdup(sub)) ||
		    (jid != 0 && !(b->job_type = strdup(jtype))))
			return -ENOMEM;
	}
	if (r < 0)
		return r;
	return sd_bus_message_exit_container(reply);
}

/* Reads the unit's a{sv} from Properties.GetAll into `f`, picking the
 * properties this module knows; the rest is skipped. */
enum prop_type { P_STR, P_BOOL, P_STRV, P_ID128, P_JOB };
struct prop_map {
	const char *name;
	enum prop_type type;
	size_t offset;
};

#define PROP(n, t, field) { n, t, offsetof(struct umh_sd_unit_facts, field) }
static const struct prop_map unit_props[] = {
	PROP("Id", P_STR, id),
	PROP("LoadState", P_STR, load_state),
	PROP("ActiveState", P_STR, active_state),
	PROP("SubState", P_STR, sub_state),
	PROP("SourcePath", P_STR, source_path),
	PROP("FragmentPath", P_STR, fragment_path),
	PROP("InvocationID", P_ID128, invocation_id),
	PROP("StopWhenUnneeded", P_BOOL, stop_when_unneeded),
	PROP("NeedDaemonReload", P_BOOL, need_daemon_reload),
	PROP("BindsTo", P_STRV, binds_to),
	PROP("Requires", P_STRV, requires),
	PROP("PartOf", P_STRV, part_of),
	PROP("TriggeredBy", P_STRV, triggered_by),
	PROP("Conflicts", P_STRV, conflicts),
	PROP("ConflictedBy", P_STRV, conflicted_by),
	PROP("RequiredBy", P_STRV, required_by),
	PROP("RequisiteOf", P_STRV, requisite_of),
	PROP("WantedBy", P_STRV, wanted_by),
	PROP("BoundBy", P_STRV, bound_by),
	PROP("DropInPaths", P_STRV, drop_in_paths),
	PROP("Job", P_JOB, job_id),
	{ NULL, P_STR, 0 },
};
static const struct prop_map mount_props[] = {
	PROP("What", P_STR, what),
	PROP("Where", P_STR, where),
	PROP("Type", P_STR, fstype),
	PROP("Result", P_STR, result),
	{ NULL, P_STR, 0 },
};
#undef PROP

static int read_prop(sd_bus_message *reply, const struct prop_map *p, struct umh_sd_unit_facts *f)
{
	void *field = (char *)f + p->offset;
	const char *s;
	const void *bytes;
	size_t len;
	int b, r;
	uint32_t u;

	switch (p->type) {
	case P_STR:
		r = sd_bus_message_read(reply, "v", "s", &s);
		if (r < 0)
			return r;
		return umh_strdup_to((char **)field, s[0] ? s : NULL);
	case P_BOOL:
		r = sd_bus_message_read(reply, "v", "b", &b);
		if (r < 0)
			return r;
		*(bool *)field = b;
		return 0;
	case P_STRV:
		r = sd_bus_message_enter_container(reply, 'v', "as");
		if (r < 0)
			return r;
		umh_strv_free(*(char ***)field);
		*(char ***)field = NULL;
		r = sd_bus_message_read_strv(reply, (char ***)field);
		if (r < 0)
			return r;
		return sd_bus_message_exit_container(reply);
	case P_ID128:
		r = sd_bus_message_enter_container(reply, 'v', "ay");
		if (r < 0)
			return r;
		r = sd_bus_message_read_array(reply, 'y', &bytes, &len);
		if (r < 0)
			return r;
		if (len == 16) {
			char hex[33];
			for (size_t i = 0; i < 16; i++)
				sprintf(hex + 2 * i, "%02x", ((const unsigned char *)bytes)[i]);
			r = umh_strdup_to((char **)field, hex);
			if (r < 0)
				return r;
		}
		return sd_bus_message_exit_container(reply);
	case P_JOB:
		r = sd_bus_message_read(reply, "v", "(uo)", &u, &s);
		if (r < 0)
			return r;
		*(uint32_t *)field = u;
		return 0;
	}
	return -EINVAL;
}

/* Parses the reply of Properties.GetAll: picks the properties of `map`. */
static int parse_get_all(sd_bus_message *reply, const struct prop_map *map, struct umh_sd_unit_facts *f)
{
	const char *name;
	int r;

	r = sd_bus_message_enter_container(reply, 'a', "{sv}");
	if (r < 0)
		return r;
	while ((r = sd_bus_message_enter_container(reply, 'e', "sv")) > 0) {
		const struct prop_map *p;

		r = sd_bus_message_read(reply, "s", &name);
		if (r < 0)
			return r;
		for (p = map; p->name; p++)
			if (strcmp(p->name, name) == 0)
				break;
		r = p->name ? read_prop(reply, p, f) : sd_bus_message_skip(reply, "v");
		if (r < 0)
			return r;
		r = sd_bus_message_exit_container(reply);
		if (r < 0)
			return r;
	}
	if (r < 0)
		return r;
	return sd_bus_message_exit_container(reply);
}

void umh_sd_facts_done(struct umh_sd_unit_facts *f)
{
	char **strs[] = { &f->id, &f->load_state, &f->active_state, &f->sub_state, &f->job_type,
	                  &f->what, &f->where, &f->fstype, &f->result, &f->source_path,
	                  &f->fragment_path, &f->invocation_id };
	char ***lists[] = { &f->binds_to, &f->requires, &f->part_of, &f->triggered_by,
	                    &f->conflicts, &f->conflicted_by, &f->required_by, &f->requisite_of,
	                    &f->wanted_by, &f->bound_by, &f->drop_in_paths };

	for (size_t i = 0; i < sizeof(strs) / sizeof(strs[0]); i++)
		free(*strs[i]);
	for (size_t i = 0; i < sizeof(lists) / sizeof(lists[0]); i++)
		umh_strv_free(*lists[i]);
	memset(f, 0, sizeof(*f));
}

static const struct prop_map *find_prop(const struct prop_map *map, const char *name)
{
	for (; map->name; map++)
		if (strcmp(map->name, name) == 0)
			return map;
	return NULL;
}

int umh_sd_facts_read_unit_prop(sd_bus_message *reply, const char *name, struct umh_sd_unit_facts *f)
{
	const struct prop_map *p = find_prop(unit_props, name);
	return p ? read_prop(reply, p, f) : -EINVAL;
}

int umh_sd_facts_read_mount(sd_bus_message *reply, struct umh_sd_unit_facts *f)
{
	return parse_get_all(reply, mount_props, f);
}
