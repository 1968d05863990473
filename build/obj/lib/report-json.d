build/obj/lib/report-json.o: lib/report-json.c lib/report.h lib/json.h \
 lib/model.h
lib/report.h:
lib/json.h:
lib/model.h:
