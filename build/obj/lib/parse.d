build/obj/lib/parse.o: lib/parse.c lib/parse.h lib/escape.h
lib/parse.h:
lib/escape.h:
