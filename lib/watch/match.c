#include "watch/match.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

/* How well CALL fits the mount at TARGET: 4 its path in this namespace,
 * 3 its path in another (propagation), 2 a path we could not resolve in
 * this namespace, 1 any path in another namespace for a mount with peers;
 * 0 not at all. */
static int score(const struct umh_wmatch_in *in, const struct umh_wcall *c, const struct umh_wmount *m)
{
	if (c->exited && c->ret != 0)
		return 0; /* a failed call removed nothing */
	if (c->enter_ns < in->now_boot_ns - UMH_WMATCH_WINDOW_NS)
		return 0;
	bool same_ns = c->mntns == in->mntns;
	bool path_eq = c->path && m->target && strcmp(c->path, m->target) == 0;
	if (same_ns && c->used)
		return 0;
	if (same_ns)
		return path_eq ? 4 : !c->path ? 2 : 0;
	if (path_eq)
		return 3;
	return m->shared || m->master ? 1 : 0;
}

static struct umh_wcall *best_call(const struct umh_wmatch_in *in, const struct umh_wmount *m, int *best_score)
{
	struct umh_wcall *best = NULL;
	int bs = 0, ties = 0;
	for (size_t i = 0; in->calls && i < in->calls->n; i++) {
		struct umh_wcall *c = &in->calls->v[i];
		int s = score(in, c, m);
		if (s == 0 || s < bs)
			continue;
		if (s > bs || c->enter_ns > best->enter_ns) {
			ties = s > bs ? 0 : ties + 1;
			best = c;
			bs = s;
		} else {
			ties++;
		}
	}
	/* By time only, it must be the only one. */
	if (bs <= 2 && ties > 0)
		return NULL;
	*best_score = bs;
	return best;
}

static size_t top_of(const struct umh_wmount *gone, size_t n, size_t i)
{
	/* Parents within what went together; at most N steps (a cycle in a
	 * garbled table must not loop). */
	for (size_t steps = 0; steps < n; steps++) {
		size_t k;
		for (k = 0; k < n; k++)
			if (gone[k].id == gone[i].parent_id && k != i)
				break;
		if (k == n)
			return i;
		i = k;
	}
	return i;
}

static int set_caller(const struct umh_wmatch_in *in, struct umh_wevent *ev, const struct umh_wcall *c)
{
	int r = umh_wcall_copy(&ev->caller, c);
	if (r < 0)
		return r;
	ev->has_caller = true;
	ev->by = umh_wcall_by_systemd(c) ? UMH_WBY_SYSTEMD : UMH_WBY_PROCESS;
	ev->local_pid = umh_wcalls_local_pid(in->calls, &c->self);
	for (size_t i = 0; i < c->n_parents; i++)
		ev->local_parents[i] = umh_wcalls_local_pid(in->calls, &c->parents[i]);
	ev->t_us = in->now_real_us - (in->now_boot_ns - c->enter_ns) / 1000;
	return 0;
}

static int moved_to(const struct umh_wmatch_in *in, struct umh_wevent *ev)
{
	const struct umh_wmount *now = in->table ? umh_wtable_find(in->table, ev->mount.id) : NULL;
	if (!now || !now->target || !ev->mount.target || strcmp(now->target, ev->mount.target) == 0)
		return 0;
	if (!now->source || !ev->mount.source || strcmp(now->source, ev->mount.source) != 0 || !now->fstype ||
	    !ev->mount.fstype || strcmp(now->fstype, ev->mount.fstype) != 0)
		return 0;
	ev->moved_to = strdup(now->target);
	if (!ev->moved_to)
		return -ENOMEM;
	ev->how = UMH_WHOW_MOVED;
	ev->type = "move";
	return 1;
}

size_t umh_wmatch_unexplained(const struct umh_wmatch_in *in, const struct umh_wmount *gone, size_t n)
{
	size_t k = 0;
	for (size_t i = 0; i < n; i++) {
		if (top_of(gone, n, i) != i)
			continue;
		/* Only a call that named it is sure; one taken by time, or
		 * from another namespace for any mount with peers, may be
		 * someone else's while its own is still on the way. */
		int s = 0;
		if (best_call(in, &gone[i], &s) && s >= 3)
			continue;
		/* Moved, not unmounted: no call will come. */
		const struct umh_wmount *now = in->table ? umh_wtable_find(in->table, gone[i].id) : NULL;
		if (now && now->target && gone[i].target && strcmp(now->target, gone[i].target) != 0)
			continue;
		k++;
	}
	return k;
}

int umh_wmatch(const struct umh_wmatch_in *in, struct umh_wmount *gone, size_t n, struct umh_wevent *out)
{
	int r = 0;
	size_t *top = calloc(n ? n : 1, sizeof(*top));
	if (!top)
		return -ENOMEM;
	for (size_t i = 0; i < n; i++) {
		out[i] = (struct umh_wevent){ .type = "unmount", .mntns = in->mntns, .t_us = in->now_real_us };
		top[i] = top_of(gone, n, i);
	}
	/* The named mounts first, then what went along with them. */
	for (int pass = 0; pass < 2 && r >= 0; pass++) {
		for (size_t i = 0; i < n && r >= 0; i++) {
			struct umh_wevent *ev = &out[i];
			bool is_top = top[i] == i;
			if (is_top != (pass == 0))
				continue;
			ev->mount = gone[i];
			gone[i] = (struct umh_wmount){ .id = gone[i].id };
			if (!is_top) {
				const struct umh_wevent *t = &out[top[i]];
				ev->how = t->how == UMH_WHOW_DIRECT ? UMH_WHOW_TAKEN_ALONG : t->how;
				if (t->how == UMH_WHOW_MOVED) {
					/* A moved tree: its mounts have new paths too. */
					ev->how = UMH_WHOW_MOVED;
					ev->type = "move";
					const struct umh_wmount *now = umh_wtable_find(in->table, ev->mount.id);
					if (now && now->target && !(ev->moved_to = strdup(now->target)))
						r = -ENOMEM;
					continue;
				}
				ev->match = t->match;
				if (t->mount.target && !(ev->along_with = strdup(t->mount.target)))
					r = -ENOMEM;
				if (r >= 0 && t->has_caller)
					r = set_caller(in, ev, &t->caller);
				if (r >= 0 && t->no_caller && !(ev->no_caller = strdup(t->no_caller)))
					r = -ENOMEM;
				continue;
			}
			int s = 0;
			struct umh_wcall *c = in->calls ? best_call(in, &ev->mount, &s) : NULL;
			if (!c || s < 3) {
				/* No call by its path: a move keeps the mount id. */
				r = moved_to(in, ev);
				if (r != 0)
					continue;
			}
			if (!c) {
				const char *why = in->calls ? "no umount call was seen for it" :
					in->no_calls_why ? in->no_calls_why : "umount calls are not traced";
				if (!(ev->no_caller = strdup(why)))
					r = -ENOMEM;
				continue;
			}
			ev->how = s == 3 || s == 1 ? UMH_WHOW_PROPAGATED : UMH_WHOW_DIRECT;
			ev->match = s >= 3 ? "path" : "time";
			if (c->mntns == in->mntns)
				c->used = true;
			r = set_caller(in, ev, c);
		}
	}
	free(top);
	if (r < 0)
		for (size_t i = 0; i < n; i++)
			umh_wevent_clear(&out[i]);
	return r;
}

int umh_wmatch_orphan(const struct umh_wmatch_in *in, struct umh_wcall *c, struct umh_wevent *out)
{
	if (c->used || c->mntns != in->mntns || !c->exited || c->ret != 0 ||
	    in->now_boot_ns - c->enter_ns < UMH_WMATCH_ORPHAN_NS)
		return 0;
	*out = (struct umh_wevent){ .type = "unmount", .mntns = in->mntns, .how = UMH_WHOW_DIRECT, .match = "call",
				    .short_lived = true };
	const char *target = c->path ? c->path : c->target;
	if (!(out->mount.target = strdup(target ? target : "")) || set_caller(in, out, c) < 0) {
		umh_wevent_clear(out);
		return -ENOMEM;
	}
	c->used = true;
	return 1;
}
