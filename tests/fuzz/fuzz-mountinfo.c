/* A mountinfo file through libmount, then every question the analysis asks
 * of a mount table: finding a target by name and by source, the mount a
 * kernel-printed path is on, peer groups. */
#include <stdio.h>

#include "fuzz.h"
#include "model/mounttab.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	FILE *f = fmemopen((void *)data, size, "r");
	if (!f)
		return 0;
	struct libmnt_table *tb = mnt_new_table();
	if (tb && mnt_table_parse_stream(tb, f, "fuzz") == 0) {
		static const char *const specs[] = { "/", "/mnt", "/mnt/a b", "tmpfs", "server:/export",
						     "/dev/loop0", "relative/path" };
		struct libmnt_fs *fs;
		for (size_t i = 0; i < sizeof(specs) / sizeof(specs[0]); i++) {
			if (umh_mounttab_find(tb, specs[i], &fs) == 0) {
				struct umh_mount m;
				umh_mount_from_fs(fs, UMH_ROLE_TARGET, &m);
				umh_mounttab_top(tb, fs);
			}
			umh_mounttab_for_path(tb, specs[i]);
		}
	}
	mnt_unref_table(tb);
	fclose(f);
	return 0;
}
