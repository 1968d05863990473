build/obj/umount-helper/helper.o: umount-helper/helper.c \
 umount-helper/after-failure.h /usr/include/libmount/libmount.h \
 umount-helper/config.h lib/caps.h lib/cleanup.h \
 umount-helper/umount-helper.h
umount-helper/after-failure.h:
/usr/include/libmount/libmount.h:
umount-helper/config.h:
lib/caps.h:
lib/cleanup.h:
umount-helper/umount-helper.h:
