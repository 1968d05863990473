/* Method calls to systemd, sent at once and answered back to back.
 *
 * The stop job races with the reader: from JobNew to the unit's garbage
 * collection took 10-20 ms in the test container, and systemd answers the
 * first call only once it has spawned /bin/umount (~10 ms).  So every call
 * of a batch is sent at once and the replies collected afterwards: systemd
 * then answers them back to back.  That needs sd_bus_process() on the bus,
 * which sd-bus forbids from inside one of that bus's own callbacks; there
 * (sd_bus_get_current_message() says so) the calls are made one by one
 * instead, which is slower. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <systemd/sd-bus.h>

#define UMH_SD_BATCH_MAX 40

struct umh_sd_batch_call {
	sd_bus_slot *slot;
	sd_bus_message *reply; /* a method return, or NULL */
	int error;             /* negative errno of a failed call */
	bool done;
	char error_name[128];
};

struct umh_sd_batch {
	sd_bus *bus;
	bool pipelined;
	size_t n;
	struct umh_sd_batch_call v[UMH_SD_BATCH_MAX];
};

void umh_sd_batch_init(struct umh_sd_batch *b, sd_bus *bus);
/* Releases the calls' slots and replies (a cleanup: _cleanup_(umh_sd_batch_done)). */
void umh_sd_batch_done(struct umh_sd_batch *b);

/* Queues (or, not pipelined, makes) one call; takes over M.  Each returns
 * the call's index in B->v, or a negative errno. */
int umh_sd_batch_add(struct umh_sd_batch *b, sd_bus_message *m);
/* A new method call to systemd (not queued yet): 0 or a negative errno. */
int umh_sd_batch_add_method(struct umh_sd_batch *b, const char *path, const char *iface, const char *member,
			    sd_bus_message **ret_msg);
/* Properties.Get(IFACE, PROP), Properties.GetAll(IFACE) of the object at
 * PATH; the manager's ListUnitsByNames(NAMES). */
int umh_sd_batch_add_get(struct umh_sd_batch *b, const char *path, const char *iface, const char *prop);
int umh_sd_batch_add_get_all(struct umh_sd_batch *b, const char *path, const char *iface);
int umh_sd_batch_add_list_units(struct umh_sd_batch *b, char **names);

/* Waits until every call of the batch has its answer (each call times out
 * by itself, after the bus's method call timeout). */
int umh_sd_batch_wait(struct umh_sd_batch *b);
