build/obj/lib/escape.o: lib/escape.c lib/escape.h
lib/escape.h:
