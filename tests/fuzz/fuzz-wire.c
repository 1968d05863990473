/* The pipe between the analysis and the printer: any byte stream, fed in
 * any pieces, decodes or is rejected, and never crashes or leaks. */
#include "fuzz.h"
#include "model/wire.h"

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
	umh_report_free(&r);
	return 0;
}
