/* The program: one binary, several names.  argv[0] decides what it is:
 *   umount-helper COMMAND ...   the tool
 *   umount ...                  the front end
 *   umount.TYPE TARGET ...      the helper libmount runs for TYPE */
#pragma once

#include <stdbool.h>
#include <stdio.h>

#include "base/parse.h"

/* Exit codes, as mount(8) and umount(8) use them. */
enum {
	EX_OK = 0,
	EX_USAGE = 1,    /* incorrect invocation */
	EX_SYSERR = 2,   /* system error, or nothing to explain */
	EX_SOFTWARE = 4, /* internal bug */
	EX_INTR = 8,     /* interrupted */
	EX_NFS = 16,     /* what nfs-utils' umount.nfs returns for any failure */
	EX_FAIL = 32,    /* umount failed; for explain: the target is held */
	EX_EXEC = 126,   /* a wrapped helper could not be run */
};

#define PROGRAM_NAME "umount-helper"
#ifndef PACKAGE_VERSION
#define PACKAGE_VERSION "0.1"
#endif

int cmd_explain(int argc, char **argv);
int cmd_trace(int argc, char **argv);
int cmd_ledger(int argc, char **argv);
int cmd_doctor(int argc, char **argv);
int cmd_watch(int argc, char **argv);

/* Run as "umount": the util-linux compatible front end (frontend.c). */
int frontend_main(int argc, char **argv);

struct umh_config;
/* Run as "umount.TYPE": the libmount helper for TYPE (helper.c), which
 * wraps the distribution's helper or unmounts natively (helper-native.c);
 * UMOUNT_SAID_BUSY: the lean helper that was this process already called
 * umount(2), which said EBUSY (handover.h). */
int helper_main(int argc, char **argv, const char *type);
struct umh_env_list;
/* ENVS: the environment a set-user-ID helper put aside (suid.h), put back
 * if it becomes the user. */
int helper_native(int argc, char **argv, const struct umh_config *c, struct umh_env_list **envs,
		  bool umount_said_busy);

