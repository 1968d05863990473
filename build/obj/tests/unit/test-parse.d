build/obj/tests/unit/test-parse.o: tests/unit/test-parse.c lib/parse.h \
 tests/unit/unit.h
lib/parse.h:
tests/unit/unit.h:
