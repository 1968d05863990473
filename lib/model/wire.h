/* The report, item by item, over a pipe: how the analysis process hands its
 * findings to the process that prints them.  Both ends are this program, so
 * integers travel in host order; the reader still checks every length, so a
 * torn or garbled stream (a child killed mid-write) ends the stream, never
 * the reader. */
#pragma once

#include <stddef.h>

#include "model/model.h"

/* Encodes ITEM and writes it to FD in one write(2).  Returns 0 or -errno. */
int umh_wire_send(int fd, enum umh_item type, const void *item);

struct umh_wire_reader {
	char *buf;
	size_t len, cap;
	bool broken; /* a malformed message was seen: the rest is ignored */
};

/* Appends DATA to the reader and adds every complete item to R.  Returns
 * 0, or -EBADMSG once a malformed message is seen, or -ENOMEM. */
int umh_wire_feed(struct umh_wire_reader *w, const void *data, size_t n, struct umh_report *r);
void umh_wire_reader_free(struct umh_wire_reader *w);
