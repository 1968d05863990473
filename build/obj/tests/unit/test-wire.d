build/obj/tests/unit/test-wire.o: tests/unit/test-wire.c lib/model.h \
 tests/unit/unit.h lib/wire.h
lib/model.h:
tests/unit/unit.h:
lib/wire.h:
