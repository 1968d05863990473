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
 *
 * With neighbours=1 the file is kept in a small object that nothing in the
 * module's data points to (its address is kept scrambled), right after
 * another object of the same slab that the data does point to: what a
 * scan reads past the end of the object it follows is not the module's
 * reference, and must not be taken for it.
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

static int neighbours;
module_param(neighbours, int, 0444);
MODULE_PARM_DESC(neighbours, "keep the file in an object next to one the module's data points to");

static struct file *held;

/* One level of the chain: a pointer and padding, as real state has; in
 * all larger than the most of an object umount-helper's module scan reads
 * (UMH_KREF_OBJ_WORDS, 32 words).  Before that scan knew an object's
 * bounds, it read the next links in the slab past smaller ones, where the
 * freelist put them after this one, and found the file at depth 2 now and
 * then; neighbours=1 checks those bounds on purpose. */
struct link {
	unsigned long pad[4];
	void *next;
	unsigned long tail[28];
};
static struct link *chain;

/* neighbours=1: small objects of a slab cache of their own (a constructor
 * keeps it from being merged with another cache of that size), all free of
 * references but the one that keeps the file; the module's data points to
 * every other one. */
#define N_SMALL 32
struct small {
	void *ref;
	unsigned long pad[4];
};
static struct kmem_cache *small_cache;
static struct small *pointed[N_SMALL];
static unsigned long keeper_scrambled; /* the keeper's address, XORed */
#define SCRAMBLE 0x5a5a5a5a5a5a5a5aUL

static void small_ctor(void *obj)
{
	memset(obj, 0, sizeof(struct small));
}

static void free_small(void)
{
	int i;

	for (i = 0; i < N_SMALL; i++)
		if (pointed[i])
			kmem_cache_free(small_cache, pointed[i]);
	kmem_cache_destroy(small_cache);
	small_cache = NULL;
}

/* Allocates the objects and keeps FILE in one whose slab neighbour just
 * before it is pointed to from the module's data.  The slab's freelist is
 * in random order (CONFIG_SLAB_FREELIST_RANDOM): the keeper is chosen once
 * they are all allocated. */
static int keep_next_to_pointed(struct file *file)
{
	struct small *all[N_SMALL];
	unsigned long stride = ~0UL, a, b;
	int i, j, keeper = -1;

	small_cache = kmem_cache_create("holdfile_small", sizeof(struct small), 0, 0, small_ctor);
	if (!small_cache)
		return -ENOMEM;
	for (i = 0; i < N_SMALL; i++) {
		all[i] = kmem_cache_alloc(small_cache, GFP_KERNEL);
		if (!all[i]) {
			while (--i >= 0)
				kmem_cache_free(small_cache, all[i]);
			kmem_cache_destroy(small_cache);
			return -ENOMEM;
		}
	}
	/* The slab's stride: the least distance between two objects. */
	for (i = 0; i < N_SMALL; i++)
		for (j = 0; j < N_SMALL; j++) {
			a = (unsigned long)all[i];
			b = (unsigned long)all[j];
			if (b > a && b - a < stride)
				stride = b - a;
		}
	for (i = 0; i < N_SMALL && keeper < 0; i++)
		for (j = 0; j < N_SMALL; j++)
			if ((unsigned long)all[i] + stride == (unsigned long)all[j] && stride < 256) {
				keeper = j;
				pr_info("holdfile: the file kept at +%lu bytes from an object the module's data points to\n",
					stride);
				break;
			}
	if (keeper < 0) {
		pr_err("holdfile: no two of %d objects are neighbours in their slab\n", N_SMALL);
		for (i = 0; i < N_SMALL; i++)
			kmem_cache_free(small_cache, all[i]);
		kmem_cache_destroy(small_cache);
		return -EAGAIN;
	}
	all[keeper]->ref = file;
	keeper_scrambled = (unsigned long)all[keeper] ^ SCRAMBLE;
	for (i = 0, j = 0; i < N_SMALL; i++)
		if (i != keeper)
			pointed[j++] = all[i];
	return 0;
}

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
	if (neighbours) {
		int err = keep_next_to_pointed(held);

		if (err) {
			filp_close(held, NULL);
			held = NULL;
			return err;
		}
		held = NULL;
	} else if (depth > 0) {
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
	if (small_cache) {
		struct small *keeper = (void *)(keeper_scrambled ^ SCRAMBLE);

		held = keeper->ref;
		kmem_cache_free(small_cache, keeper);
		free_small();
	}
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
