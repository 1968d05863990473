build/obj/umount-helper/after-failure.o: umount-helper/after-failure.c \
 umount-helper/after-failure.h /usr/include/libmount/libmount.h \
 umount-helper/config.h lib/cleanup.h lib/mounttab.h lib/model.h \
 lib/report.h lib/json.h lib/runner.h lib/explain.h \
 umount-helper/umount-helper.h
umount-helper/after-failure.h:
/usr/include/libmount/libmount.h:
umount-helper/config.h:
lib/cleanup.h:
lib/mounttab.h:
lib/model.h:
lib/report.h:
lib/json.h:
lib/runner.h:
lib/explain.h:
umount-helper/umount-helper.h:
