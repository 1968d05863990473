build/obj/lib/model.o: lib/model.c lib/model.h
lib/model.h:
