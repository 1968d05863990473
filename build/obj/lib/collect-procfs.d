build/obj/lib/collect-procfs.o: lib/collect-procfs.c lib/cleanup.h \
 lib/parse.h lib/procfs.h lib/model.h lib/scan.h \
 /usr/include/libmount/libmount.h
lib/cleanup.h:
lib/parse.h:
lib/procfs.h:
lib/model.h:
lib/scan.h:
/usr/include/libmount/libmount.h:
