#include "bpf/common/loader.h"

#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <cap-ng.h>
#include <errno.h>
#include <linux/capability.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/auxv.h>
#include <unistd.h>

#include "base/debug.h"
#include "base/cleanup.h"
#include "base/procfs.h"
#include "base/str.h"

#ifndef CAP_BPF
#define CAP_PERFMON 38
#define CAP_BPF 39
#endif

static char last_message[512];

static int keep_message(enum libbpf_print_level level, const char *fmt, va_list ap)
{
	if (level == LIBBPF_DEBUG)
		return 0;
	if (umh_debug("bpf")) {
		va_list copy;
		va_copy(copy, ap);
		fputs("umount-helper: debug: libbpf: ", stderr);
		vfprintf(stderr, fmt, copy);
		va_end(copy);
	}
	char line[sizeof(last_message)];
	vsnprintf(line, sizeof(line), fmt, ap);
	/* The verifier log arrives as many lines; the interesting one is
	 * the last that says something. */
	size_t n = strlen(line);
	while (n && (line[n - 1] == '\n' || line[n - 1] == ' '))
		line[--n] = '\0';
	if (n && !strstr(line, "-- END PROG LOAD LOG --"))
		memcpy(last_message, line, n + 1);
	return 0;
}

void umh_bpf_init(void)
{
	libbpf_set_print(keep_message);
}

const char *umh_bpf_last_message(void)
{
	return last_message;
}

int umh_bpf_precheck(char *why, size_t size)
{
	const char *fault = secure_getenv("UMOUNT_HELPER_FAULT");
	if (fault && strcmp(fault, "bpf") == 0) {
		snprintf(why, size, "UMOUNT_HELPER_FAULT=bpf asked the BPF loader to fail");
		return -ECANCELED;
	}
	/* Set-user-ID (an ordinary user's umount): never load kernel
	 * programs on someone else's behalf. */
	if (getauxval(AT_SECURE)) {
		snprintf(why, size, "the program runs set-user-ID, and loads no BPF programs then");
		return -EPERM;
	}
	if (access("/sys/kernel/btf/vmlinux", R_OK) < 0) {
		snprintf(why, size, "the kernel has no BTF (/sys/kernel/btf/vmlinux), which the BPF programs need");
		return -ENOTSUP;
	}
	return 0;
}

static bool have_bpf_caps(void)
{
	capng_get_caps_process();
	bool sys_admin = capng_have_capability(CAPNG_EFFECTIVE, CAP_SYS_ADMIN);
	return (capng_have_capability(CAPNG_EFFECTIVE, CAP_BPF) || sys_admin) &&
	       (capng_have_capability(CAPNG_EFFECTIVE, CAP_PERFMON) || sys_admin);
}

void umh_bpf_note_log(const char *log)
{
	/* The verdict is the last line before the statistics the verifier
	 * ends with ("processed N insns", "verification time", ...). */
	static const char *const stats[] = { "processed ", "verification time", "stack depth", "mark_read" };
	const char *end = log + strlen(log);
	while (end > log) {
		while (end > log && (end[-1] == '\n' || end[-1] == ' '))
			end--;
		const char *start = end;
		while (start > log && start[-1] != '\n')
			start--;
		bool stat = start == end;
		for (size_t i = 0; i < ARRAY_SIZE(stats) && !stat; i++)
			stat = strncmp(start, stats[i], strlen(stats[i])) == 0;
		if (!stat) {
			umh_copy_field(last_message, sizeof(last_message), start, (size_t)(end - start));
			return;
		}
		end = start;
	}
}

void umh_bpf_describe_error(int err, const char *what, char *why, size_t size)
{
	const char *detail = last_message[0] ? last_message : NULL;
	/* Without the capabilities the kernel may answer anything (EPERM,
	 * or EINVAL from a program type it then refuses): say what is missing. */
	if (!have_bpf_caps()) {
		snprintf(why, size, "the kernel refused to load %s (%s): this process lacks CAP_BPF or CAP_PERFMON", what,
			 strerror(-err));
		return;
	}
	switch (-err) {
	case EPERM:
	case EACCES:
		snprintf(why, size,
			 "the kernel refused to load %s (%s) although this process has CAP_BPF and "
			 "CAP_PERFMON: a kernel policy forbids them",
			 what, strerror(-err));
		break;
	case ENOENT:
	case ESRCH:
	case ENOTSUP:
		snprintf(why, size, "this kernel lacks what %s needs%s%s", what, detail ? ": " : "", detail ? detail : "");
		break;
	default:
		snprintf(why, size, "%s failed: %s%s%s", what, strerror(-err), detail ? ": " : "",
			 detail ? detail : "");
	}
}

int umh_bpf_read_iter(int link_fd, char **buf, size_t *len)
{
	int fd = bpf_iter_create(link_fd);
	if (fd < 0)
		return -errno;
	return umh_bpf_read_iter_fd(fd, buf, len);
}

int umh_bpf_read_iter_fd(int iter_fd, char **buf, size_t *len)
{
	_cleanup_close_ int fd = iter_fd;
	char *b = NULL;
	size_t size = 0;
	ssize_t n = umh_read_fd_all(fd, &b, &size, UMH_READ_RETRY_EAGAIN);
	if (n < 0) {
		free(b);
		return (int)n;
	}
	*buf = b;
	*len = (size_t)n;
	return 0;
}
