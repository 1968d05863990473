// SPDX-License-Identifier: GPL-2.0
/*
 * holdfile: open a file from kernel space and keep it open until unload.
 *
 * This reproduces the case umount-helper exists for: a file opened with
 * filp_open() is referenced by no process's file table, so lsof and fuser
 * see nothing, yet the mount it lives on stays busy ("umount.nfs: /mnt:
 * device is busy") until the module lets go of it at rmmod.
 *
 *     insmod holdfile.ko path=/mnt/dir/file
 *
 * With depth=N (N > 0) the file is kept N allocations away from the
 * module's data (data -> kmalloc'd -> ... -> struct file *), as a driver's
 * per-device state keeps what it opened: deeper than umount-helper's scan
 * of module data looks (one object), so that its other way of naming the
 * file, the walk of the mount's dentries, is what finds it.
 */
#include <linux/err.h>
#include <linux/fs.h>
#include <linux/module.h>
#include <linux/moduleparam.h>
#include <linux/slab.h>

static char *path;
module_param(path, charp, 0444);
MODULE_PARM_DESC(path, "file to open at load and keep open until unload");
static int depth;
module_param(depth, int, 0444);
MODULE_PARM_DESC(depth, "allocations between the module's data and the file (default 0: in its data)");

static struct file *held;

/* One level of the chain: a pointer and padding, as real state has; in
 * all larger than the part of an object umount-helper's module scan reads
 * (UMH_KREF_OBJ_WORDS, 32 words), so that it reads this link alone.  With
 * smaller links it also read the next ones in the slab, where the freelist
 * put them after this one, and found the file at depth 2 now and then. */
struct link {
	unsigned long pad[4];
	void *next;
	unsigned long tail[28];
};
static struct link *chain;

/* Frees the chain; returns the file at its end. */
static struct file *free_chain(void)
{
	void *p = chain;
	int i;

	for (i = 0; i < depth && p; i++) {
		struct link *l = p;

		p = l->next;
		kfree(l);
	}
	chain = NULL;
	return p;
}

static int __init holdfile_init(void)
{
	char buf[64];
	loff_t pos = 0;
	ssize_t n;

	if (!path || !*path) {
		pr_err("holdfile: no path= given\n");
		return -EINVAL;
	}
	held = filp_open(path, O_RDONLY, 0);
	if (IS_ERR(held)) {
		int err = PTR_ERR(held);

		pr_err("holdfile: cannot open %s: %d\n", path, err);
		held = NULL;
		return err;
	}
	/*
	 * Read like the original report did, so the file is really in use by
	 * the filesystem (an NFS READ goes out), not just looked up.
	 */
	n = kernel_read(held, buf, sizeof(buf) - 1, &pos);
	if (n < 0) {
		pr_err("holdfile: cannot read %s: %zd\n", path, n);
		filp_close(held, NULL);
		held = NULL;
		return n;
	}
	/* Drop trailing newlines: one log line per event. */
	while (n > 0 && (buf[n - 1] == '\n' || buf[n - 1] == '\r'))
		n--;
	buf[n] = '\0';
	pr_info("holdfile: holding %s open, read \"%.32s\"\n", path, buf);
	if (depth > 0) {
		/* Builds data -> link -> ... -> link -> file, then forgets
		 * the direct pointer. */
		void *target = held;
		int i;

		for (i = 0; i < depth; i++) {
			struct link *l = kzalloc(sizeof(*l), GFP_KERNEL);

			if (!l)
				break;
			l->next = target;
			target = l;
		}
		chain = target;
		pr_info("holdfile: %s kept %d allocations away\n", path, i);
		depth = i;
		if (i)
			held = NULL;
	}
	return 0;
}

static void __exit holdfile_exit(void)
{
	/* The only reference the mount was waiting for goes away here. */
	if (chain)
		held = free_chain();
	if (held)
		filp_close(held, NULL);
	pr_info("holdfile: closed %s\n", path);
}

module_init(holdfile_init);
module_exit(holdfile_exit);
MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("Keep a file open from kernel space (umount-helper VM tests)");
