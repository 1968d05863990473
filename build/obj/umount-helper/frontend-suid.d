build/obj/umount-helper/frontend-suid.o: umount-helper/frontend-suid.c \
 lib/caps.h lib/cleanup.h umount-helper/frontend.h \
 /usr/include/libmount/libmount.h umount-helper/config.h \
 umount-helper/umount-helper.h
lib/caps.h:
lib/cleanup.h:
umount-helper/frontend.h:
/usr/include/libmount/libmount.h:
umount-helper/config.h:
umount-helper/umount-helper.h:
