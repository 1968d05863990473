build/obj/lib/procfs.o: lib/procfs.c lib/procfs.h lib/model.h \
 lib/cleanup.h
lib/procfs.h:
lib/model.h:
lib/cleanup.h:
