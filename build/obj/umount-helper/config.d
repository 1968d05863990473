build/obj/umount-helper/config.o: umount-helper/config.c \
 umount-helper/config.h lib/cleanup.h umount-helper/umount-helper.h
umount-helper/config.h:
lib/cleanup.h:
umount-helper/umount-helper.h:
