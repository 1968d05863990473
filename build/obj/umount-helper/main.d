build/obj/umount-helper/main.o: umount-helper/main.c \
 umount-helper/umount-helper.h
umount-helper/umount-helper.h:
