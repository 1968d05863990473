/* Method calls to systemd, sent at once and answered back to back
 * (batch.h). */
#include "systemd/batch.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "base/cleanup.h"
#include "systemd/bus.h"

void umh_sd_batch_done(struct umh_sd_batch *b)
{
	for (size_t i = 0; i < b->n; i++) {
		sd_bus_slot_unref(b->v[i].slot);
		sd_bus_message_unref(b->v[i].reply);
	}
	b->n = 0;
}

static void batch_store(struct umh_sd_batch_call *c, sd_bus_message *m)
{
	const sd_bus_error *e;

	c->done = true;
	if (!sd_bus_message_is_method_error(m, NULL)) {
		c->reply = sd_bus_message_ref(m);
		return;
	}
	e = sd_bus_message_get_error(m);
	c->error = -sd_bus_message_get_errno(m);
	if (c->error == 0)
		c->error = -EIO;
	if (e && e->name)
		snprintf(c->error_name, sizeof(c->error_name), "%s", e->name);
}

static int batch_on_reply(sd_bus_message *m, void *userdata, sd_bus_error *ret_error)
{
	(void)ret_error;
	batch_store(userdata, m);
	return 0;
}

void umh_sd_batch_init(struct umh_sd_batch *b, sd_bus *bus)
{
	memset(b, 0, sizeof(*b));
	b->bus = bus;
	b->pipelined = sd_bus_get_current_message(bus) == NULL;
}

/* Queues (or, not pipelined, makes) one call; takes over `m`. Returns its index. */
int umh_sd_batch_add(struct umh_sd_batch *b, sd_bus_message *m)
{
	_cleanup_(sd_bus_message_unrefp) sd_bus_message *msg = m;
	struct umh_sd_batch_call *c;
	int r;

	if (b->n >= UMH_SD_BATCH_MAX)
		return -E2BIG;
	c = &b->v[b->n];
	memset(c, 0, sizeof(*c));
	if (b->pipelined) {
		r = sd_bus_call_async(b->bus, &c->slot, msg, batch_on_reply, c, 0);
		if (r < 0)
			return r;
	} else {
		_cleanup_(sd_bus_error_free) sd_bus_error error = SD_BUS_ERROR_NULL;
		sd_bus_message *reply = NULL;

		r = sd_bus_call(b->bus, msg, 0, &error, &reply);
		c->done = true;
		if (r < 0) {
			c->error = r;
			if (error.name)
				snprintf(c->error_name, sizeof(c->error_name), "%s", error.name);
		} else
			c->reply = reply;
	}
	return (int)b->n++;
}

int umh_sd_batch_add_method(struct umh_sd_batch *b, const char *path, const char *iface, const char *member,
                            sd_bus_message **ret_msg)
{
	int r = sd_bus_message_new_method_call(b->bus, ret_msg, UMH_SD_DEST, path, iface, member);
	return r < 0 ? r : 0;
}

int umh_sd_batch_add_get(struct umh_sd_batch *b, const char *path, const char *iface, const char *prop)
{
	sd_bus_message *m = NULL;
	int r;

	r = umh_sd_batch_add_method(b, path, "org.freedesktop.DBus.Properties", "Get", &m);
	if (r < 0)
		return r;
	r = sd_bus_message_append(m, "ss", iface, prop);
	if (r < 0) {
		sd_bus_message_unref(m);
		return r;
	}
	return umh_sd_batch_add(b, m);
}

int umh_sd_batch_add_get_all(struct umh_sd_batch *b, const char *path, const char *iface)
{
	sd_bus_message *m = NULL;
	int r;

	r = umh_sd_batch_add_method(b, path, "org.freedesktop.DBus.Properties", "GetAll", &m);
	if (r < 0)
		return r;
	r = sd_bus_message_append(m, "s", iface);
	if (r < 0) {
		sd_bus_message_unref(m);
		return r;
	}
	return umh_sd_batch_add(b, m);
}

int umh_sd_batch_add_list_units(struct umh_sd_batch *b, char **names)
{
	sd_bus_message *m = NULL;
	int r;

	r = umh_sd_batch_add_method(b, UMH_SD_PATH, UMH_SD_MANAGER, "ListUnitsByNames", &m);
	if (r < 0)
		return r;
	r = sd_bus_message_append_strv(m, names);
	if (r < 0) {
		sd_bus_message_unref(m);
		return r;
	}
	return umh_sd_batch_add(b, m);
}

/* Waits until every call of the batch has its answer (each call times out
 * by itself, after the bus's method call timeout). */
int umh_sd_batch_wait(struct umh_sd_batch *b)
{
	int r;

	if (!b->pipelined)
		return 0;
	for (;;) {
		bool all = true;

		for (size_t i = 0; i < b->n; i++)
			all = all && b->v[i].done;
		if (all)
			return 0;
		r = sd_bus_process(b->bus, NULL);
		if (r < 0)
			return r;
		if (r > 0)
			continue;
		r = sd_bus_wait(b->bus, UINT64_MAX);
		if (r < 0 && r != -EINTR)
			return r;
	}
}
