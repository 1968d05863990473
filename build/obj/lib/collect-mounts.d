build/obj/lib/collect-mounts.o: lib/collect-mounts.c lib/cleanup.h \
 lib/mounttab.h /usr/include/libmount/libmount.h lib/model.h lib/parse.h \
 lib/procfs.h lib/scan.h
lib/cleanup.h:
lib/mounttab.h:
/usr/include/libmount/libmount.h:
lib/model.h:
lib/parse.h:
lib/procfs.h:
lib/scan.h:
