build/obj/tests/unit/test-escape.o: tests/unit/test-escape.c lib/escape.h \
 tests/unit/unit.h
lib/escape.h:
tests/unit/unit.h:
