build/obj/lib/report-text.o: lib/report-text.c lib/escape.h lib/report.h \
 lib/json.h lib/model.h
lib/escape.h:
lib/report.h:
lib/json.h:
lib/model.h:
