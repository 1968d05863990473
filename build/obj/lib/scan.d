build/obj/lib/scan.o: lib/scan.c lib/scan.h \
 /usr/include/libmount/libmount.h lib/model.h lib/mounttab.h
lib/scan.h:
/usr/include/libmount/libmount.h:
lib/model.h:
lib/mounttab.h:
