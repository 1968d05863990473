/* What every user of the BPF programs shares: libbpf kept quiet (its
 * messages are kept for doctor and --verbose instead of spilled on the
 * terminal), the reasons BPF may not be used here, and errors turned into
 * sentences. */
#pragma once

#include <stdbool.h>
#include <stddef.h>

/* Routes libbpf's messages to a small buffer; call before opening a
 * skeleton.  Idempotent. */
void umh_bpf_init(void);

/* The last warning libbpf printed (the verifier's last line, a missing
 * symbol...), or "" if none. */
const char *umh_bpf_last_message(void);

/* 0 if BPF programs may be tried here, or a negative errno with WHY set
 * to a sentence: the kernel has no BTF, the tool runs set-user-ID, or a
 * test asked the loader to fail (UMOUNT_HELPER_FAULT=bpf). */
int umh_bpf_precheck(char *why, size_t size);

/* Keeps the last line of a verifier log (a light skeleton's, which
 * libbpf's message callback never sees) as the last message. */
void umh_bpf_note_log(const char *log);

/* A sentence for ERR (negative errno) from loading or attaching WHAT. */
void umh_bpf_describe_error(int err, const char *what, char *why, size_t size);

/* Reads all of an iterator link's output into *BUF (malloc'd, *LEN bytes).
 * Returns 0 or a negative errno. */
int umh_bpf_read_iter(int link_fd, char **buf, size_t *len);
/* The same from an iterator already opened (bpf_iter_create), which it
 * closes: reading it needs no capability. */
int umh_bpf_read_iter_fd(int iter_fd, char **buf, size_t *len);
