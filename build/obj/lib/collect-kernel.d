build/obj/lib/collect-kernel.o: lib/collect-kernel.c lib/cleanup.h \
 lib/mounttab.h /usr/include/libmount/libmount.h lib/model.h lib/parse.h \
 lib/procfs.h lib/scan.h
lib/cleanup.h:
lib/mounttab.h:
/usr/include/libmount/libmount.h:
lib/model.h:
lib/parse.h:
lib/procfs.h:
lib/scan.h:
