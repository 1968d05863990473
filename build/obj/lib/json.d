build/obj/lib/json.o: lib/json.c lib/json.h lib/escape.h
lib/json.h:
lib/escape.h:
