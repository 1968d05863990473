/* The watcher's record as explain reads it: JSON lines that may be torn,
 * edited or hostile.  Every line that parses must write out again through
 * json.c and parse back (the "vanished" object explain prints is written
 * that way); nothing may crash or leak. */
#include <stdio.h>

#include "fuzz.h"
#include "base/json-read.h"
#include "watch/record.h"

static int roundtrip(const struct umh_jnode *ev, void *userdata)
{
	(void)userdata;
	char *buf = NULL;
	size_t size = 0;
	FILE *f = open_memstream(&buf, &size);
	if (!f)
		abort();
	struct umh_json j;
	umh_json_init(&j, f);
	umh_jwrite(&j, NULL, ev);
	if (fclose(f) != 0)
		abort();
	struct umh_jnode *again = NULL;
	if (umh_jparse(buf, size, &again) != 0)
		abort(); /* what json.c wrote must be JSON */
	/* The questions explain asks of an event. */
	const struct umh_jnode *m = umh_jget(again, "mount");
	int64_t i;
	uint64_t u;
	(void)umh_jstr(m, "target");
	(void)umh_jint(again, "t_us", &i);
	(void)umh_juint(again, "mntns", &u);
	(void)umh_jbool(again, "known", false);
	umh_jfree(again);
	free(buf);
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	umh_wrecord_parse((const char *)data, size, roundtrip, NULL);
	return 0;
}
