#include "model/wire.h"

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/grow.h"

#define MAX_MESSAGE (1u << 20)

struct header {
	uint32_t type;
	uint32_t len; /* of the payload */
};

/* --- encoding ----------------------------------------------------------------- */

struct enc {
	FILE *f;
};

static void put_int(struct enc *e, int64_t v) { fwrite(&v, sizeof(v), 1, e->f); }

static void put_str(struct enc *e, const char *s)
{
	/* Length with the NUL, 0 for NULL. */
	uint32_t n = s ? (uint32_t)strlen(s) + 1 : 0;
	fwrite(&n, sizeof(n), 1, e->f);
	if (s)
		fwrite(s, 1, n, e->f);
}

static void encode(struct enc *e, enum umh_item type, const void *item)
{
	switch (type) {
	case UMH_ITEM_MOUNT: {
		const struct umh_mount *m = item;
		put_int(e, (int64_t)m->id);
		put_int(e, (int64_t)m->parent_id);
		put_int(e, m->major);
		put_int(e, m->minor);
		put_int(e, (int64_t)m->shared);
		put_int(e, (int64_t)m->master);
		put_int(e, (int64_t)m->mntns);
		put_int(e, m->ns_pid);
		put_int(e, m->role);
		put_str(e, m->target);
		put_str(e, m->source);
		put_str(e, m->fstype);
		put_str(e, m->root);
		put_str(e, m->options);
		break;
	}
	case UMH_ITEM_PROCESS: {
		const struct umh_process *p = item;
		put_int(e, p->pid);
		put_int(e, p->uid);
		put_str(e, p->user);
		put_str(e, p->comm);
		put_str(e, p->cmdline);
		break;
	}
	case UMH_ITEM_HOLDER: {
		const struct umh_holder *h = item;
		put_int(e, h->kind);
		put_int(e, (int64_t)h->mnt_id);
		put_int(e, h->pid);
		put_int(e, h->tid);
		put_int(e, h->fd);
		put_int(e, h->deleted);
		put_int(e, h->by_path);
		put_str(e, h->access);
		put_str(e, h->path);
		put_str(e, h->object);
		put_str(e, h->detail);
		break;
	}
	case UMH_ITEM_SKIP: {
		const struct umh_skip *s = item;
		put_int(e, s->pid);
		put_int(e, s->err);
		put_str(e, s->what);
		put_str(e, s->why);
		break;
	}
	case UMH_ITEM_SUMMARY: {
		const struct umh_report *r = item;
		put_int(e, r->finished);
		put_int(e, r->known_busy);
		put_int(e, r->unexplained_refs);
		put_int(e, r->error_code);
		put_int(e, (int64_t)r->processes_scanned);
		put_int(e, (int64_t)r->fds_scanned);
		put_int(e, (int64_t)r->elapsed_us);
		put_str(e, r->method);
		put_str(e, r->error);
		put_str(e, r->incomplete);
		break;
	}
	case UMH_ITEM_REFS: {
		const struct umh_refcount *c = item;
		put_int(e, c->count);
		put_int(e, c->mounted);
		put_int(e, c->explained);
		put_str(e, c->why);
		break;
	}
	case UMH_ITEM_NAMESPACE: {
		const struct umh_namespace *ns = item;
		put_int(e, (int64_t)ns->inum);
		put_int(e, ns->ours);
		put_int(e, ns->anonymous);
		put_int(e, ns->n_processes);
		put_int(e, ns->n_pids);
		for (uint32_t i = 0; i < ns->n_pids && i < UMH_NS_PIDS; i++)
			put_int(e, ns->pids[i]);
		put_int(e, ns->manager_pid);
		put_int(e, (int64_t)ns->kept_ns);
		put_int(e, ns->kept_pid);
		put_int(e, ns->kept_fd);
		put_str(e, ns->comm);
		put_str(e, ns->cmdline);
		put_str(e, ns->cgroup);
		put_str(e, ns->unit);
		put_str(e, ns->unit_settings);
		put_str(e, ns->container);
		put_str(e, ns->kept_at);
		put_str(e, ns->kept_comm);
		break;
	}
	case UMH_ITEM_FS: {
		const struct umh_fs *fs = item;
		put_int(e, fs->view);
		put_int(e, fs->alive);
		put_int(e, fs->elsewhere);
		put_int(e, fs->partial);
		put_int(e, fs->major);
		put_int(e, fs->minor);
		put_int(e, (int64_t)fs->from_mnt_id);
		put_int(e, (int64_t)fs->on_mnt_id);
		put_str(e, fs->spec);
		put_str(e, fs->device);
		put_str(e, fs->fstype);
		put_str(e, fs->source);
		break;
	}
	}
}

int umh_wire_send(int fd, enum umh_item type, const void *item)
{
	char *buf = NULL;
	size_t size = 0;
	struct enc e = { .f = open_memstream(&buf, &size) };
	if (!e.f)
		return -ENOMEM;
	struct header h = { .type = type };
	fwrite(&h, sizeof(h), 1, e.f);
	encode(&e, type, item);
	if (fclose(e.f) != 0 || size < sizeof(h) || size - sizeof(h) > MAX_MESSAGE) {
		free(buf);
		return -ENOMEM;
	}
	h.len = (uint32_t)(size - sizeof(h));
	memcpy(buf, &h, sizeof(h));

	int ret = 0;
	for (size_t off = 0; off < size;) {
		ssize_t n = write(fd, buf + off, size - off);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			ret = n < 0 ? -errno : -EIO;
			break;
		}
		off += (size_t)n;
	}
	free(buf);
	return ret;
}

/* --- decoding ------------------------------------------------------------------ */

struct dec {
	const char *p;
	size_t left;
	bool bad;
};

static int64_t get_int(struct dec *d)
{
	int64_t v = 0;
	if (d->left < sizeof(v)) {
		d->bad = true;
		return 0;
	}
	memcpy(&v, d->p, sizeof(v));
	d->p += sizeof(v);
	d->left -= sizeof(v);
	return v;
}

/* Points into the message; checks that the string ends with its NUL. */
static char *get_str(struct dec *d)
{
	uint32_t n;
	if (d->left < sizeof(n)) {
		d->bad = true;
		return NULL;
	}
	memcpy(&n, d->p, sizeof(n));
	d->p += sizeof(n);
	d->left -= sizeof(n);
	if (n == 0)
		return NULL;
	if (n > d->left || d->p[n - 1] != '\0' || memchr(d->p, '\0', n) != d->p + n - 1) {
		d->bad = true;
		return NULL;
	}
	char *s = (char *)d->p;
	d->p += n;
	d->left -= n;
	return s;
}

/* Fields are read one statement at a time: the order in which a braced
 * initializer's expressions are evaluated is unspecified in C. */
static int decode(struct dec *d, uint32_t type, struct umh_report *r)
{
	switch (type) {
	case UMH_ITEM_MOUNT: {
		struct umh_mount m = { 0 };
		m.id = (uint64_t)get_int(d);
		m.parent_id = (uint64_t)get_int(d);
		m.major = (unsigned)get_int(d);
		m.minor = (unsigned)get_int(d);
		m.shared = (uint64_t)get_int(d);
		m.master = (uint64_t)get_int(d);
		m.mntns = (uint64_t)get_int(d);
		m.ns_pid = (int32_t)get_int(d);
		int64_t role = get_int(d);
		m.target = get_str(d);
		m.source = get_str(d);
		m.fstype = get_str(d);
		m.root = get_str(d);
		m.options = get_str(d);
		if (d->bad || role < 0 || role >= _UMH_ROLE_MAX)
			return -EBADMSG;
		m.role = (enum umh_mount_role)role;
		return umh_report_add_mount(r, &m);
	}
	case UMH_ITEM_PROCESS: {
		struct umh_process p = { 0 };
		p.pid = (int32_t)get_int(d);
		p.uid = (uint32_t)get_int(d);
		p.user = get_str(d);
		p.comm = get_str(d);
		p.cmdline = get_str(d);
		if (d->bad)
			return -EBADMSG;
		return umh_report_add_process(r, &p);
	}
	case UMH_ITEM_HOLDER: {
		struct umh_holder h = { 0 };
		int64_t kind = get_int(d);
		h.mnt_id = (uint64_t)get_int(d);
		h.pid = (int32_t)get_int(d);
		h.tid = (int32_t)get_int(d);
		h.fd = (int32_t)get_int(d);
		h.deleted = get_int(d) != 0;
		h.by_path = get_int(d) != 0;
		const char *access = get_str(d);
		h.path = get_str(d);
		h.object = get_str(d);
		h.detail = get_str(d);
		if (d->bad || kind < 0 || kind >= _UMH_KIND_MAX || (access && strlen(access) >= sizeof(h.access)))
			return -EBADMSG;
		h.kind = (enum umh_kind)kind;
		snprintf(h.access, sizeof(h.access), "%s", access ? access : "");
		return umh_report_add_holder(r, &h);
	}
	case UMH_ITEM_SKIP: {
		int32_t pid = (int32_t)get_int(d);
		int err = (int)get_int(d);
		const char *what = get_str(d);
		const char *why = get_str(d);
		if (d->bad)
			return -EBADMSG;
		return umh_report_add_skip(r, pid, err, what, why);
	}
	case UMH_ITEM_SUMMARY: {
		struct umh_report s = { 0 };
		s.finished = get_int(d) != 0;
		s.known_busy = get_int(d) != 0;
		s.unexplained_refs = get_int(d);
		s.error_code = (int)get_int(d);
		s.processes_scanned = (uint64_t)get_int(d);
		s.fds_scanned = (uint64_t)get_int(d);
		s.elapsed_us = (uint64_t)get_int(d);
		s.method = get_str(d);
		s.error = get_str(d);
		s.incomplete = get_str(d);
		if (d->bad)
			return -EBADMSG;
		return umh_report_set_summary(r, &s);
	}
	case UMH_ITEM_REFS: {
		struct umh_refcount c = { 0 };
		c.count = get_int(d);
		c.mounted = get_int(d);
		c.explained = get_int(d);
		c.why = get_str(d);
		if (d->bad || c.count < -1)
			return -EBADMSG;
		return umh_report_set_refs(r, &c);
	}
	case UMH_ITEM_NAMESPACE: {
		struct umh_namespace ns = { 0 };
		ns.inum = (uint64_t)get_int(d);
		ns.ours = get_int(d) != 0;
		ns.anonymous = get_int(d) != 0;
		ns.n_processes = (uint32_t)get_int(d);
		int64_t n_pids = get_int(d);
		if (n_pids < 0 || n_pids > UMH_NS_PIDS)
			return -EBADMSG;
		ns.n_pids = (uint32_t)n_pids;
		for (uint32_t i = 0; i < ns.n_pids; i++)
			ns.pids[i] = (int32_t)get_int(d);
		ns.manager_pid = (int32_t)get_int(d);
		ns.kept_ns = (uint64_t)get_int(d);
		ns.kept_pid = (int32_t)get_int(d);
		ns.kept_fd = (int32_t)get_int(d);
		ns.comm = get_str(d);
		ns.cmdline = get_str(d);
		ns.cgroup = get_str(d);
		ns.unit = get_str(d);
		ns.unit_settings = get_str(d);
		ns.container = get_str(d);
		ns.kept_at = get_str(d);
		ns.kept_comm = get_str(d);
		if (d->bad)
			return -EBADMSG;
		return umh_report_add_namespace(r, &ns);
	}
	case UMH_ITEM_FS: {
		struct umh_fs fs = { 0 };
		fs.view = get_int(d) != 0;
		fs.alive = get_int(d) != 0;
		fs.elsewhere = get_int(d) != 0;
		fs.partial = get_int(d) != 0;
		fs.major = (unsigned)get_int(d);
		fs.minor = (unsigned)get_int(d);
		fs.from_mnt_id = (uint64_t)get_int(d);
		fs.on_mnt_id = (uint64_t)get_int(d);
		fs.spec = get_str(d);
		fs.device = get_str(d);
		fs.fstype = get_str(d);
		fs.source = get_str(d);
		if (d->bad)
			return -EBADMSG;
		return umh_report_set_fs(r, &fs);
	}
	}
	return -EBADMSG;
}

int umh_wire_feed(struct umh_wire_reader *w, const void *data, size_t n, struct umh_report *r)
{
	if (w->broken)
		return -EBADMSG;
	if (UMH_GROW(w->buf, w->cap, w->len + n, 65536) < 0)
		return -ENOMEM;
	memcpy(w->buf + w->len, data, n);
	w->len += n;

	size_t off = 0;
	int ret = 0;
	while (w->len - off >= sizeof(struct header)) {
		struct header h;
		memcpy(&h, w->buf + off, sizeof(h));
		if (h.len > MAX_MESSAGE) {
			ret = -EBADMSG;
			break;
		}
		if (w->len - off - sizeof(h) < h.len)
			break; /* the rest of it has not arrived yet */
		struct dec d = { .p = w->buf + off + sizeof(h), .left = h.len };
		ret = decode(&d, h.type, r);
		if (ret == 0 && d.left != 0)
			ret = -EBADMSG;
		if (ret < 0)
			break;
		off += sizeof(h) + h.len;
	}
	if (ret == -EBADMSG)
		w->broken = true;
	memmove(w->buf, w->buf + off, w->len - off);
	w->len -= off;
	return ret;
}

void umh_wire_reader_free(struct umh_wire_reader *w)
{
	free(w->buf);
	*w = (struct umh_wire_reader){ 0 };
}
