build/obj/umount-helper/umount-message.o: umount-helper/umount-message.c \
 umount-helper/umount-message.h /usr/include/libmount/libmount.h
umount-helper/umount-message.h:
/usr/include/libmount/libmount.h:
