build/obj/lib/caps.o: lib/caps.c lib/caps.h lib/cleanup.h
lib/caps.h:
lib/cleanup.h:
