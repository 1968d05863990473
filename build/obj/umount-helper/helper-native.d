build/obj/umount-helper/helper-native.o: umount-helper/helper-native.c \
 umount-helper/after-failure.h /usr/include/libmount/libmount.h \
 umount-helper/config.h lib/cleanup.h umount-helper/umount-helper.h \
 umount-helper/umount-message.h
umount-helper/after-failure.h:
/usr/include/libmount/libmount.h:
umount-helper/config.h:
lib/cleanup.h:
umount-helper/umount-helper.h:
umount-helper/umount-message.h:
