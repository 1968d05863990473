build/obj/lib/wire.o: lib/wire.c lib/wire.h lib/model.h
lib/wire.h:
lib/model.h:
