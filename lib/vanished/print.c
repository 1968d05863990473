#include "vanished/print.h"

#include "base/escape.h"

void umh_vanished_print_text(const struct umh_jnode *v, const char *spec, bool seen_all, FILE *out)
{
	const char *sentence = umh_jstr(v, "sentence"), *from = umh_jstr(v, "from");
	umh_fputs_escaped(spec, out);
	fputs(seen_all ? " is not mounted.\n" : " is not mounted in any namespace read.\n", out);
	if (sentence) {
		fputs("  ", out);
		umh_fputs_escaped(sentence, out);
		fputc('\n', out);
	}
	if (from) {
		fputs("  (From ", out);
		umh_fputs_escaped(from, out);
		fputs(".)\n", out);
	}
}

void umh_risks_print_text(const struct umh_jnode *warnings, FILE *out)
{
	if (!warnings || warnings->type != UMH_J_ARR || !warnings->child)
		return;
	fputc('\n', out);
	for (const struct umh_jnode *w = warnings->child; w; w = w->next) {
		const char *s = umh_jstr(w, "sentence");
		if (!s)
			continue;
		fputs("warning: ", out);
		umh_fputs_escaped(s, out);
		fputs(".\n", out);
	}
}

void umh_explain_extra_json(struct umh_json *j, void *userdata)
{
	const struct umh_explain_extra *x = userdata;
	if (x->vanished)
		umh_jwrite(j, "vanished", x->vanished);
	if (x->warnings)
		umh_jwrite(j, "warnings", x->warnings);
	if (x->failed_unmounts)
		umh_jwrite(j, "failed_unmounts", x->failed_unmounts);
}
