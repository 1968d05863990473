/* The pipe between the analysis and the printer: any byte stream, fed in
 * any pieces, decodes or is rejected, and never crashes or leaks; what it
 * decoded to prints, as text and as JSON, whatever the kinds and names. */
#include <stdio.h>

#include "fuzz.h"
#include "model/wire.h"
#include "report/report.h"

static void render(const struct umh_report *r)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *m = open_memstream(&buf, &len);
	if (!m)
		abort();
	umh_report_print_text(r, m);
	struct umh_json j;
	umh_json_init(&j, m);
	umh_report_write_json(r, "/fuzz", &j);
	fclose(m);
	free(buf);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct umh_report r;
	umh_report_init(&r);
	struct umh_wire_reader w = { 0 };
	/* The first byte chooses how the stream is cut into reads. */
	size_t step = size ? (size_t)data[0] % 64 + 1 : 1;
	for (size_t off = 1; off < size; off += step)
		umh_wire_feed(&w, data + off, off + step <= size ? step : size - off, &r);
	umh_wire_reader_free(&w);
	umh_report_sort(&r);
	render(&r);
	umh_report_free(&r);
	return 0;
}
