build/obj/lib/mounttab.o: lib/mounttab.c lib/mounttab.h \
 /usr/include/libmount/libmount.h lib/model.h lib/cleanup.h lib/parse.h
lib/mounttab.h:
/usr/include/libmount/libmount.h:
lib/model.h:
lib/cleanup.h:
lib/parse.h:
