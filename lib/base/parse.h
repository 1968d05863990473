/* Parsers for the text the kernel prints in /proc and /sys.
 *
 * Pure functions on buffers: no I/O, so they are unit-tested on real and
 * hostile lines and fuzzed.  Each returns 0 on success or a negative errno
 * (-EINVAL for text that does not have the expected shape). */
#pragma once

#include <stdbool.h>
#include <sys/types.h>
#include <stddef.h>
#include <stdint.h>

/* /proc/PID/fdinfo/FD */
struct umh_fdinfo {
	uint64_t pos;
	unsigned int flags; /* open(2) flags, octal in the file */
	uint64_t mnt_id;
	uint64_t ino;
	bool has_mnt_id;
};
int umh_parse_fdinfo(const char *buf, struct umh_fdinfo *out);

/* "r", "w", "rw" from open flags; "path" for O_PATH descriptors. */
const char *umh_access_from_flags(unsigned int flags);

/* Calls FN for each registered file listed after "UserFiles:" in an
 * io_uring descriptor's fdinfo, with the index and the unescaped path (a
 * buffer FN may not keep).  Returns the number of files, or negative errno
 * (FN's own negative return stops the walk and is returned). */
typedef int (*umh_uring_file_fn)(unsigned int index, const char *path, void *userdata);
int umh_parse_uring_files(const char *fdinfo, umh_uring_file_fn fn, void *userdata);

/* One line of /proc/PID/maps.  PATH points into the line (which is modified:
 * the kernel escapes only '\n' there, as \012, and the parser decodes it);
 * it is "" for anonymous mappings. */
struct umh_maps_entry {
	uint64_t start, end, offset, inode;
	unsigned int major, minor;
	char perms[5];
	const char *path;
};
int umh_parse_maps_line(char *line, struct umh_maps_entry *out);

/* One line of /proc/swaps (not the header).  FILENAME points into the line,
 * unescaped; TYPE is "file" or "partition". */
struct umh_swap_entry {
	const char *filename;
	const char *type;
};
int umh_parse_swaps_line(char *line, struct umh_swap_entry *out);

/* A binfmt_misc entry file (/proc/sys/fs/binfmt_misc/NAME).  INTERPRETER
 * points into BUF, which is modified. */
struct umh_binfmt_entry {
	bool enabled;
	bool open_binary; /* the F flag: the kernel holds the interpreter open */
	const char *interpreter;
	const char *flags;
};
int umh_parse_binfmt_entry(char *buf, struct umh_binfmt_entry *out);

/* One line of the kernel's export cache (/proc/net/rpc/nfsd.export/content,
 * and /proc/fs/nfsd/exports): "PATH\tCLIENT(OPTIONS)", for instance
 * "/tmp/xp\t127.0.0.1(rw,insecure,no_root_squash,sync,wdelay,fsid=2,sec=1)".
 * Comment lines ("# ...") give -ENOENT.  PATH and CLIENT are unescaped;
 * CLIENT is what `exportfs -u CLIENT:PATH` takes; OPTIONS (NULL when there
 * are none) is without its parentheses.  All point into the line. */
struct umh_export_entry {
	const char *path;
	const char *client;
	const char *options;
};
int umh_parse_exports_line(char *line, struct umh_export_entry *out);

/* One line of tracefs's uprobe_events (trace_uprobe.c, probes_seq_show):
 * "p:uprobes/NAME /path/prog:0x0000000000001000 ARGS...", "r:" for a
 * return probe.  EVENT ("GROUP/NAME") points into the line (which is
 * modified); OFFSET is the probe's offset in the file, found after the
 * file's name as the kernel prints it (0x and 16 hex digits, so that a name
 * with spaces or colons does not mislead it).  The file's name itself is not
 * kept: it is the one the probe was given, and the probe's own path (read by
 * mount, lib/bpf/refcount/kernrefs.bpf.c) is what counts.  -EINVAL for any
 * other line. */
struct umh_uprobe_event {
	const char *event;
	bool ret;
	bool has_offset;
	uint64_t offset;
};
int umh_parse_uprobe_event(char *line, struct umh_uprobe_event *out);

/* A duration in SECONDS (decimal, fractions allowed, more than 0 and at
 * most a day) in nanoseconds. */
int umh_parse_seconds(const char *s, long long *ns);

/* S as a decimal number from MIN to MAX, nothing else in it: 0, or
 * -EINVAL. */
int umh_parse_long(const char *s, long min, long max, long *out);

/* S as a process id (a positive decimal number), or 0 when it is not one:
 * how -N tells a pid from a namespace file. */
pid_t umh_parse_pid(const char *s);

/* Whether PATH is MOUNTPOINT or lies below it ("/mnt" covers "/mnt/a" but
 * not "/mnt2").  Lexical only: nothing is looked up. */
bool umh_path_under(const char *path, const char *mountpoint);
