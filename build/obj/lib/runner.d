build/obj/lib/runner.o: lib/runner.c lib/runner.h lib/explain.h \
 lib/model.h lib/caps.h lib/cleanup.h lib/scan.h \
 /usr/include/libmount/libmount.h lib/wire.h
lib/runner.h:
lib/explain.h:
lib/model.h:
lib/caps.h:
lib/cleanup.h:
lib/scan.h:
/usr/include/libmount/libmount.h:
lib/wire.h:
