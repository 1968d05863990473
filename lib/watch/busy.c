/* Failed unmounts grouped into bursts.  See watch/busy.h. */
#include "watch/busy.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/cleanup.h"

int umh_wbusy_init(struct umh_wbusy *b)
{
	*b = (struct umh_wbusy){ .next_id = 1 };
	b->v = calloc(UMH_WBUSY_MAX, sizeof(*b->v));
	return b->v ? 0 : -ENOMEM;
}

static void burst_clear(struct umh_wburst *u)
{
	free(u->path);
	free(u->examine_path);
	umh_wcall_clear(&u->first);
	if (u->ns_fd >= 0)
		close(u->ns_fd);
	umh_jfree(u->result);
	free(u->why);
	free(u->written_sig);
	*u = (struct umh_wburst){ .ns_fd = -1 };
}

void umh_wbusy_free(struct umh_wbusy *b)
{
	for (size_t i = 0; b->v && i < b->n; i++)
		burst_clear(&b->v[i]);
	free(b->v);
	*b = (struct umh_wbusy){ 0 };
}

static void remove_at(struct umh_wbusy *b, size_t i)
{
	burst_clear(&b->v[i]);
	memmove(&b->v[i], &b->v[i + 1], (b->n - i - 1) * sizeof(b->v[0]));
	b->v[--b->n] = (struct umh_wburst){ .ns_fd = -1 };
}

const char *umh_wbusy_path(const struct umh_wcall *call)
{
	if (call->path)
		return call->path;
	return call->target && *call->target ? call->target : NULL;
}

static struct umh_wburst *find_target(struct umh_wbusy *b, uint64_t mntns, const char *path)
{
	for (size_t i = 0; i < b->n; i++)
		if (b->v[i].mntns == mntns && strcmp(b->v[i].path, path) == 0)
			return &b->v[i];
	return NULL;
}

struct umh_wburst *umh_wbusy_find(struct umh_wbusy *b, uint64_t id)
{
	for (size_t i = 0; i < b->n; i++)
		if (b->v[i].id == id)
			return &b->v[i];
	return NULL;
}

static bool over(const struct umh_wburst *u, int64_t now_ns)
{
	return u->unmounted || now_ns - u->last_ns >= UMH_WBUSY_IDLE_NS;
}

static void count_pid(struct umh_wburst *u, int32_t pid)
{
	for (size_t i = 0; i < u->n_pids; i++)
		if (u->pids[i] == pid)
			return;
	if (u->n_pids < UMH_WBUSY_PIDS)
		u->pids[u->n_pids++] = pid;
	else
		u->more_pids = true;
}

/* Room for a new burst of ACCOUNT: not past its share; when every slot is
 * taken, root's new burst pushes out the oldest one of another account
 * (which is written later only if it had said nothing yet: it is simply
 * no longer followed). */
static bool make_room(struct umh_wbusy *b, uint32_t account)
{
	size_t mine = 0;
	for (size_t i = 0; i < b->n; i++)
		mine += b->v[i].first.account == account;
	if (account != 0 && mine >= UMH_WBUSY_PER_ACCOUNT)
		return false;
	if (b->n < UMH_WBUSY_MAX)
		return true;
	if (account != 0)
		return false;
	for (size_t i = 0; i < b->n; i++) {
		if (b->v[i].first.account != 0 && !b->v[i].explaining) {
			remove_at(b, i);
			return true;
		}
	}
	return false;
}

struct umh_wburst *umh_wbusy_add(struct umh_wbusy *b, struct umh_wcall *call, int64_t now_ns, int64_t now_real_us,
				 bool *opened)
{
	*opened = false;
	const char *path = umh_wbusy_path(call);
	if (!path) {
		b->not_followed++;
		return NULL;
	}
	struct umh_wburst *u = find_target(b, call->mntns, path);
	if (u && (u->unmounted || over(u, now_ns)) && !u->explaining && u->written_ns) {
		/* The old burst is over and said what it had to: a new one. */
		remove_at(b, (size_t)(u - b->v));
		u = NULL;
	}
	if (!u) {
		if (!make_room(b, call->account)) {
			b->not_followed++;
			return NULL;
		}
		char *p = strdup(path);
		if (!p) {
			b->not_followed++;
			return NULL;
		}
		u = &b->v[b->n++];
		*u = (struct umh_wburst){
			.id = b->next_id++,
			.mntns = call->mntns,
			.path = p,
			.ns_fd = -1,
			.need_explain = true,
			.first_ns = call->enter_ns,
			.first_real_us = now_real_us - (now_ns - call->enter_ns) / 1000,
		};
		u->first = *call;
		*call = (struct umh_wcall){ 0 };
		*opened = true;
	}
	const struct umh_wcall *c = *opened ? &u->first : call;
	u->attempts++;
	u->last_ns = c->enter_ns > u->last_ns ? c->enter_ns : u->last_ns;
	u->last_real_us = now_real_us - (now_ns - u->last_ns) / 1000;
	u->last_pid = c->self.pid;
	if (*opened)
		u->dropped_first = u->dropped_last = c->account_dropped;
	else if (c->account_dropped > u->dropped_last)
		u->dropped_last = c->account_dropped;
	count_pid(u, c->self.pid);
	return u;
}

void umh_wbusy_unmounted(struct umh_wbusy *b, const struct umh_wcall *call, int64_t now_real_us)
{
	const char *path = umh_wbusy_path(call);
	struct umh_wburst *u = path ? find_target(b, call->mntns, path) : NULL;
	if (u && !u->unmounted) {
		u->unmounted = true;
		u->unmounted_real_us = now_real_us;
	}
}

static struct umh_wbusy_account *account_of(struct umh_wbusy *b, uint32_t account, int64_t now_ns)
{
	struct umh_wbusy_account *a = NULL, *oldest = &b->accounts[0];
	for (size_t i = 0; i < UMH_WBUSY_ACCOUNTS; i++) {
		struct umh_wbusy_account *k = &b->accounts[i];
		if (k->used && k->account == account) {
			a = k;
			break;
		}
		if (!k->used || (oldest->used && k->at_ns < oldest->at_ns))
			oldest = k;
	}
	int64_t period = account == 0 ? UMH_WBUSY_REFILL_ROOT_NS : UMH_WBUSY_REFILL_USER_NS;
	int64_t full = period * (account == 0 ? UMH_WBUSY_ALLOW_ROOT : UMH_WBUSY_ALLOW_USER);
	if (!a) {
		/* A new account, or one forgotten: it starts full (forgetting
		 * one takes UMH_WBUSY_ACCOUNTS others in between). */
		a = oldest;
		*a = (struct umh_wbusy_account){ .account = account, .tokens_ns = full, .at_ns = now_ns, .used = true };
	}
	a->tokens_ns += now_ns - a->at_ns;
	if (a->tokens_ns > full)
		a->tokens_ns = full;
	a->at_ns = now_ns;
	return a;
}

struct umh_wburst *umh_wbusy_next_explain(struct umh_wbusy *b, int64_t now_ns)
{
	/* A burst that goes on is examined again, now and then. */
	for (size_t i = 0; i < b->n; i++) {
		struct umh_wburst *u = &b->v[i];
		if (!u->need_explain && !u->explaining && u->explained_ns && !over(u, now_ns) &&
		    now_ns - u->explained_ns >= UMH_WBUSY_REFRESH_NS && (u->ns_fd >= 0 || u->own_ns))
			u->need_explain = true;
	}
	for (int root_pass = 1; root_pass >= 0; root_pass--) {
		for (size_t i = 0; i < b->n; i++) {
			struct umh_wburst *u = &b->v[i];
			if (!u->need_explain || (u->first.account == 0) != root_pass)
				continue;
			u->need_explain = false;
			bool again = u->explained_ns != 0;
			if (u->unmounted && !again) {
				umh_wbusy_explained(u, NULL, "it was unmounted before it could be examined", now_ns);
				continue;
			}
			if (again && over(u, now_ns))
				continue; /* over: the last examination stands */
			struct umh_wbusy_account *a = account_of(b, u->first.account, now_ns);
			int64_t period = u->first.account == 0 ? UMH_WBUSY_REFILL_ROOT_NS : UMH_WBUSY_REFILL_USER_NS;
			if (a->tokens_ns < period) {
				if (!again) {
					char why[200];
					snprintf(why, sizeof(why),
						 "not examined: the failed unmounts of uid %u are examined at most %d at once, "
						 "then one every %lld s",
						 u->first.account,
						 u->first.account == 0 ? UMH_WBUSY_ALLOW_ROOT : UMH_WBUSY_ALLOW_USER,
						 (long long)(period / 1000000000));
					umh_wbusy_explained(u, NULL, why, now_ns);
					b->not_examined++;
				}
				continue;
			}
			a->tokens_ns -= period;
			u->explaining = true;
			return u;
		}
	}
	return NULL;
}

void umh_wbusy_explained(struct umh_wburst *u, struct umh_jnode *result, const char *why, int64_t now_ns)
{
	u->explaining = false;
	u->need_explain = false;
	u->explained_ns = now_ns;
	if (!result && u->result) {
		/* A later examination that failed: the earlier answer stands. */
		return;
	}
	umh_jfree(u->result);
	u->result = result;
	free(u->why);
	u->why = result || !why ? NULL : strdup(why);
}

/* What held the target, as RESULT says: the report's holders, each as
 * kind, pid and path; or its error. */
char *umh_wbusy_holders_sig(const struct umh_jnode *result)
{
	const struct umh_jnode *report = result;
	const struct umh_jnode *holders = umh_jget(report, "holders");
	char *buf = NULL;
	size_t size = 0;
	FILE *f = open_memstream(&buf, &size);
	if (!f)
		return NULL;
	fprintf(f, "%s|", umh_jstr(report, "error") ? umh_jstr(report, "error") : "");
	for (const struct umh_jnode *h = holders ? holders->child : NULL; h; h = h->next) {
		int64_t pid = 0;
		umh_jint(h, "pid", &pid);
		const char *kind = umh_jstr(h, "kind"), *path = umh_jstr(h, "path");
		fprintf(f, "%s:%lld:%s|", kind ? kind : "", (long long)pid, path ? path : "");
	}
	if (fclose(f) != 0) {
		free(buf);
		return NULL;
	}
	return buf;
}

static bool sig_changed(const struct umh_wburst *u)
{
	if (!u->result)
		return false;
	_cleanup_free_ char *sig = umh_wbusy_holders_sig(u->result);
	return sig && (!u->written_sig || strcmp(sig, u->written_sig) != 0);
}

struct umh_wburst *umh_wbusy_due(struct umh_wbusy *b, int64_t now_ns, bool *final)
{
	for (size_t i = 0; i < b->n; i++) {
		struct umh_wburst *u = &b->v[i];
		/* An examination due or running comes first. */
		if (u->explaining || (u->need_explain && !u->explained_ns))
			continue;
		if (over(u, now_ns)) {
			/* Every entry before said it went on: this one says it
			 * ended, and how. */
			u->need_explain = false;
			*final = true;
			return u;
		}
		/* Going on: a first entry after a while, and a new one when
		 * what holds it changed. */
		if ((!u->written_ns && now_ns - u->first_ns >= UMH_WBUSY_REFRESH_NS) ||
		    (u->written_ns && u->explained_ns > u->written_ns && sig_changed(u))) {
			*final = false;
			return u;
		}
	}
	return NULL;
}

void umh_wbusy_written(struct umh_wbusy *b, struct umh_wburst *u, bool final, int64_t now_ns)
{
	if (final) {
		remove_at(b, (size_t)(u - b->v));
		return;
	}
	u->written_ns = now_ns;
	u->written_attempts = u->attempts;
	free(u->written_sig);
	u->written_sig = u->result ? umh_wbusy_holders_sig(u->result) : NULL;
}

int64_t umh_wbusy_next_ns(const struct umh_wbusy *b)
{
	int64_t next = 0;
	for (size_t i = 0; i < b->n; i++) {
		const struct umh_wburst *u = &b->v[i];
		/* One examined, or waiting for the worker, is woken by it. */
		if (u->explaining || u->need_explain)
			continue;
		int64_t t = u->unmounted ? 1 : u->last_ns + UMH_WBUSY_IDLE_NS;
		if (!u->written_ns && u->first_ns + UMH_WBUSY_REFRESH_NS < t)
			t = u->first_ns + UMH_WBUSY_REFRESH_NS;
		if (u->explained_ns && u->explained_ns + UMH_WBUSY_REFRESH_NS < t)
			t = u->explained_ns + UMH_WBUSY_REFRESH_NS;
		if (!next || t < next)
			next = t;
	}
	return next;
}
