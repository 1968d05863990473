build/obj/umount-helper/frontend.o: umount-helper/frontend.c \
 umount-helper/after-failure.h /usr/include/libmount/libmount.h \
 umount-helper/config.h lib/cleanup.h umount-helper/frontend.h \
 umount-helper/umount-helper.h
umount-helper/after-failure.h:
/usr/include/libmount/libmount.h:
umount-helper/config.h:
lib/cleanup.h:
umount-helper/frontend.h:
umount-helper/umount-helper.h:
