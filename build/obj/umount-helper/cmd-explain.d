build/obj/umount-helper/cmd-explain.o: umount-helper/cmd-explain.c \
 lib/caps.h lib/escape.h lib/json.h lib/report.h lib/model.h lib/runner.h \
 lib/explain.h umount-helper/umount-helper.h
lib/caps.h:
lib/escape.h:
lib/json.h:
lib/report.h:
lib/model.h:
lib/runner.h:
lib/explain.h:
umount-helper/umount-helper.h:
