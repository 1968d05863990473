build/obj/tests/unit/test-mounttab.o: tests/unit/test-mounttab.c \
 lib/mounttab.h /usr/include/libmount/libmount.h lib/model.h \
 tests/unit/unit.h
lib/mounttab.h:
/usr/include/libmount/libmount.h:
lib/model.h:
tests/unit/unit.h:
