/* The scan's programs kept loaded by the watcher (umount-helper watch),
 * pinned in the BPF filesystem, so that explain only creates iterators
 * from them: loading and verifying the programs, which the kernel does
 * again on every load, was about 20 ms of every explain.
 *
 *   /sys/fs/bpf/umount-helper/scan-BUILDID/   the programs, their iterator
 *       links and the maps explain reads and writes (see scan-pin.c; the
 *       directories as bpf/common/pins.h has them)
 *
 * BUILDID is the light skeleton's hash (bpf.mk), which the pinned
 * programs also carry in their read-only data: a scan uses only programs
 * built from the very object it was built with, and loads its own
 * otherwise.  Only root reaches them: the directories are root's, mode
 * 0700, on the BPF filesystem, and a scan that finds them otherwise does
 * not use them.  One scan at a time uses them (their globals and maps hold
 * one scan's state): a scan that finds them in use loads its own. */
#pragma once

#include <stddef.h>
#include <stdint.h>

#include "bpf/common/pins.h"
#include "bpf/scan/scan-skel.h"

/* The watcher, at its start: loads the programs (ANON_INODE_MNT_ID as for
 * a scan) and pins them, unless the same build is pinned already (by a
 * watcher before it); pins of other builds are removed.  Returns 0 with
 * *OUT set (umh_pins_release at the watcher's end), or a negative errno
 * with WHY set to a sentence. */
int umh_scan_pin(uint32_t anon_inode_mnt_id, struct umh_pins **out, char *why, size_t size);

/* A scan: the pinned programs of this build, checked, locked for this scan
 * and cleared, in *OUT as umh_scan_skel_load() gives them.  Returns 0, or
 * a negative errno (-ENOENT: none pinned, -EBUSY: another scan has them,
 * -EPERM: not as they must be) with WHY set; the caller loads its own. */
int umh_scan_skel_pinned(uint32_t anon_inode_mnt_id, struct umh_scan_skel **out, char *why, size_t size);
