build/obj/lib/explain.o: lib/explain.c lib/explain.h lib/model.h \
 lib/caps.h lib/cleanup.h lib/mounttab.h /usr/include/libmount/libmount.h \
 lib/scan.h
lib/explain.h:
lib/model.h:
lib/caps.h:
lib/cleanup.h:
lib/mounttab.h:
/usr/include/libmount/libmount.h:
lib/scan.h:
