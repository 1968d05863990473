/* umount-helper doctor: what the running kernel lets umount-helper do.
 *
 * Loads the smallest program of each kind and reports, in plain sentences,
 * what works, what does not and why, then what explain and trace can and
 * cannot find as a result.  Never an error dump: libbpf's own messages are
 * kept out of the way (UMOUNT_HELPER_DEBUG=bpf shows them). */
#include <stdio.h>
#include <string.h>
#include <sys/utsname.h>

#include "bpf/doctor/features.h"
#include "umount-helper.h"
#include "base/wrap.h"

static void usage(FILE *out)
{
	fprintf(out,
		"Usage:\n"
		" %s doctor\n"
		"\n"
		"Say which kernel features umount-helper can use here (BTF, BPF iterators,\n"
		"fentry, kprobes, tracepoints, ring buffer, lockdown, kallsyms), and what\n"
		"explain and trace can and cannot do as a result.  Run it as root.\n",
		PROGRAM_NAME);
}

/* Sentences, not a table: wrapped at 78 columns. */
static void say(const char *text) { umh_print_wrapped(stdout, text, "  ", "    ", 78); }

int cmd_doctor(int argc, char **argv)
{
	if (argc > 1 && (strcmp(argv[1], "-h") == 0 || strcmp(argv[1], "--help") == 0)) {
		usage(stdout);
		return EX_OK;
	}
	if (argc > 1) {
		usage(stderr);
		return EX_USAGE;
	}
	struct umh_feature_state f[_UMH_FEAT_MAX];
	umh_features_probe(f);

	struct utsname u;
	uname(&u);
	printf("Kernel %s %s (%s).\n\n", u.release, u.machine, u.version);
	for (int i = 0; i < _UMH_FEAT_MAX; i++) {
		char line[512];
		snprintf(line, sizeof(line), "%-15s %-4s %s", f[i].name, f[i].ok ? "yes" : "no", f[i].detail);
		say(line);
	}

	bool iter = f[UMH_FEAT_SCAN].ok && f[UMH_FEAT_PRIVILEGE].ok;
	bool fentry = f[UMH_FEAT_FENTRY].ok, kprobe = f[UMH_FEAT_KPROBES].ok;
	bool kernel_probes = (fentry || kprobe) && f[UMH_FEAT_RINGBUF].ok;
	bool tp = f[UMH_FEAT_TRACEPOINTS].ok && f[UMH_FEAT_RINGBUF].ok;
	printf("\nSo, on this kernel:\n");
	if (iter) {
		say("explain scans processes with BPF iterators, in one pass over the kernel's tasks.");
		say("explain finds descriptors in flight in unix sockets (sent, not yet received).");
	} else {
		say("explain scans processes through /proc (slower); it cannot see descriptors in flight in "
		    "unix sockets, because the BPF scan does not load here.");
	}
	if (f[UMH_FEAT_REFCOUNT].ok && iter)
		say("explain reads the mount's reference count, and calls a mount free only when the count agrees; "
		    "references nothing it found explains send it looking inside the kernel (uprobes registered in "
		    "tracefs, kernel modules' data, the mount's dentries), which names the module or the file "
		    "without the ledger.");
	else
		say("explain cannot read the mount's reference count here, so it never says how many references "
		    "are unexplained: it reports them as unknown rather than guess, and never calls a mount free "
		    "(exit 2 when it finds nothing).");
	if (kernel_probes) {
		char s[256];
		snprintf(s, sizeof(s),
			 "trace sees every open and close on a mount with %s, and marks files opened by kernel code "
			 "with the kernel stack that opened them.",
			 fentry ? "fentry" : "kprobes");
		say(s);
		say("ledger start can keep a record of kernel-held opens for explain to name later.");
	} else if (tp) {
		say("trace follows opens and closes made through system calls only (tracepoints): it cannot see "
		    "files opened inside the kernel, because this kernel allows neither fentry nor kprobes.");
		say("ledger cannot run here: it needs fentry or kprobes to see opens made inside the kernel.");
	} else {
		say("trace cannot run here: no fentry, no kprobes, and no usable tracepoints.");
		say("ledger cannot run here: it needs fentry or kprobes.");
	}
	if (!f[UMH_FEAT_KALLSYMS].ok)
		say("Kernel stacks are printed as bare addresses: /proc/kallsyms is not readable.");
	return EX_OK;
}
