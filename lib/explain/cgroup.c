#include "explain/cgroup.h"

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

static bool ends_with(const char *s, size_t n, const char *suffix)
{
	size_t k = strlen(suffix);
	return n > k && memcmp(s + n - k, suffix, k) == 0;
}

int umh_cgroup_path(const char *file, char *out, size_t size)
{
	const char *named = NULL, *unified = NULL;
	for (const char *line = file; line && *line;) {
		const char *end = strchr(line, '\n');
		if (strncmp(line, "0::", 3) == 0)
			unified = line + 3;
		else if (!named && strstr(line, ":name=systemd:") && (!end || strstr(line, ":name=systemd:") < end))
			named = strstr(line, ":name=systemd:") + strlen(":name=systemd:");
		line = end ? end + 1 : NULL;
	}
	/* A hybrid machine's unified hierarchy has only "/" for processes
	 * systemd placed in its named one. */
	const char *p = unified && !(named && strncmp(unified, "/\n", 2) == 0) ? unified : named;
	if (!p)
		return -ENOENT;
	size_t n = strcspn(p, "\n");
	if (n + 1 > size)
		return -ENAMETOOLONG;
	memcpy(out, p, n);
	out[n] = '\0';
	return 0;
}

int umh_cgroup_unit(const char *path, char *out, size_t size)
{
	static const char *const types[] = { ".service", ".scope", ".socket", ".mount", ".swap" };
	/* The deepest component that names a unit: a service's processes
	 * may sit in a sub-cgroup of its own ("docker.service/...") */
	const char *best = NULL;
	size_t best_len = 0;
	for (const char *c = path; *c;) {
		while (*c == '/')
			c++;
		size_t n = strcspn(c, "/");
		for (size_t t = 0; n && t < sizeof(types) / sizeof(types[0]); t++)
			if (ends_with(c, n, types[t])) {
				best = c;
				best_len = n;
			}
		c += n;
	}
	if (!best)
		return -ENOENT;
	if (best_len + 1 > size)
		return -ENAMETOOLONG;
	memcpy(out, best, best_len);
	out[best_len] = '\0';
	return 0;
}

/* How runtimes name a container's cgroup: a component PREFIX ID SUFFIX (or
 * the component after a parent PREFIX/ when PARENT). */
struct pattern {
	const char *prefix, *suffix;
	const char *runtime;
	bool parent;  /* "PREFIX" is a component, the next one is the id */
	bool name;    /* the id is a name: kept whole */
};

static const struct pattern patterns[] = {
	{ "docker-", ".scope", "docker", false, false },
	{ "docker", NULL, "docker", true, false },
	{ "libpod-", ".scope", "podman", false, false },
	{ "cri-containerd-", ".scope", "containerd", false, false },
	{ "crio-", ".scope", "cri-o", false, false },
	{ "lxc.payload.", NULL, "lxc", false, true },
	{ "lxc", NULL, "lxc", true, true },
	{ "machine-", ".scope", "machine", false, true },
};

static int put(char *out, size_t size, const char *runtime, const char *id, size_t n, bool name)
{
	if (!name && n > 12)
		n = 12;
	int w = snprintf(out, size, "%s %.*s", runtime, (int)n, id);
	return w < 0 || (size_t)w >= size ? -ENAMETOOLONG : 0;
}

int umh_cgroup_container(const char *path, char *out, size_t size)
{
	const char *prev = NULL;
	size_t prev_len = 0;
	for (const char *c = path; *c;) {
		while (*c == '/')
			c++;
		size_t n = strcspn(c, "/");
		if (!n)
			break;
		for (size_t i = 0; i < sizeof(patterns) / sizeof(patterns[0]); i++) {
			const struct pattern *p = &patterns[i];
			size_t pl = strlen(p->prefix), sl = p->suffix ? strlen(p->suffix) : 0;
			if (p->parent) {
				if (prev && prev_len == pl && memcmp(prev, p->prefix, pl) == 0)
					return put(out, size, p->runtime, c, n, p->name);
				continue;
			}
			if (n > pl + sl && memcmp(c, p->prefix, pl) == 0 && (!sl || ends_with(c, n, p->suffix)))
				return put(out, size, p->runtime, c + pl, n - pl - sl, p->name);
		}
		/* Kubernetes: a pod's cgroup, whatever runs its containers
		 * ("kubepods/burstable/pod<uid>", or with systemd's driver
		 * "kubepods-burstable-pod<uid>.slice"). */
		const char *pod = n > 3 && memcmp(c, "pod", 3) == 0 ? c + 3 : NULL;
		const char *dash = memmem(c, n, "-pod", 4);
		if (!pod && dash && dash + 4 < c + n)
			pod = dash + 4;
		if (pod && strstr(path, "kubepods"))
			return put(out, size, "kubernetes pod", pod, strcspn(pod, "/."), false);
		prev = c;
		prev_len = n;
		c += n;
	}
	return -ENOENT;
}
