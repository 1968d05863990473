#!/bin/bash
# Which record of umount-helper watch explain believes.  The record is the
# watcher's word on who unmounted what: explain takes it only from files that
# root (or the one who asks) owns, that nobody else may write, in a directory
# nobody else may write; and never an event stamped later than now.  The
# records here are written by hand, each line as the watcher writes it; a
# line explain does not believe must leave "not known" and say why.
. "$(dirname "$0")/lib.sh"
enter_private_ns "$@"
new_scratch
S=$SCRATCH
chmod 755 "$S"
MNTNS=$(stat -L -c %i /proc/self/ns/mnt)
BOOT=$(cat /proc/sys/kernel/random/boot_id)
GONE=$S/gone
mkdir -p "$GONE"

# record DIR T_US WORD: a record in DIR (made by root, 0755) whose one
# unmount of $GONE happened at T_US and whose sentence ends with WORD.
record() {
	mkdir -p -m 0755 "$1"
	printf '{"v":1,"event":"watch-start","t_us":%s,"boot_id":"%s","pid":1,"mntns":%s}\n' \
		"$(( $(date +%s) * 1000000 - 600000000 ))" "$BOOT" "$MNTNS" >>"$1/events.jsonl"
	printf '{"v":1,"event":"unmount","t_us":%s,"boot_id":"%s","mntns":%s,"mount":{"target":"%s","source":"tmpfs","fstype":"tmpfs","id":7},"by":"process","sentence":"%s unmounted by %s"}\n' \
		"$2" "$BOOT" "$MNTNS" "$GONE" "$GONE" "$3" >>"$1/events.jsonl"
	chmod 0644 "$1/events.jsonl"
}
explain_gone() { "$UMH" explain --json --state-dir "$1" "$GONE"; }
NOW_US=$(( $(date +%s) * 1000000 ))
PAST=$(( NOW_US - 60000000 ))

# Root's own, as the watcher leaves it: believed.
record "$S/root" "$PAST" root-wrote-this
check_json "root's record (0755 directory, 0644 file): believed" "$(explain_gone "$S/root")" \
	'.vanished.known == true and .vanished.source == "watcher" and (.vanished.sentence | test("root-wrote-this"))'

# Another user's directory and file.
record "$S/users" "$PAST" FORGED
chown -R 65534:65534 "$S/users"
out=$(explain_gone "$S/users")
check_json "a record another user owns: not believed" "$out" \
	'.vanished.known == false and (.vanished.sentence | test("FORGED") | not)'
check_json "... and explain says why" "$out" \
	'.vanished.sentence | test("the record of umount-helper watch in .*/users was not read: the directory is owned by uid 65534")'

# Root's directory, a file anyone may write.
record "$S/w-file" "$PAST" FORGED
chmod 0666 "$S/w-file/events.jsonl"
out=$(explain_gone "$S/w-file")
check_json "root's record that anyone may write: not believed" "$out" \
	'.vanished.known == false and (.vanished.sentence | test("FORGED") | not)'
check_json "... and explain says why" "$out" '.vanished.sentence | test("was not read: .*events.jsonl is writable by others")'

# Root's file, in a directory anyone may write (they may put events.jsonl.1 there).
record "$S/w-dir" "$PAST" FORGED
chmod 1777 "$S/w-dir"
out=$(explain_gone "$S/w-dir")
check_json "a record in a directory anyone may write (even sticky): not believed" "$out" \
	'.vanished.known == false and (.vanished.sentence | test("FORGED") | not)'
check_json "... and explain says why" "$out" '.vanished.sentence | test("was not read: the directory is writable by others")'

# Group-writable for a group that is not root's.
record "$S/w-group" "$PAST" FORGED
chgrp 65534 "$S/w-group/events.jsonl" && chmod 0664 "$S/w-group/events.jsonl"
check_json "a record writable by a group other than root's: not believed" "$(explain_gone "$S/w-group")" \
	'.vanished.known == false and (.vanished.sentence | test("FORGED") | not)'

# Root's, with an event stamped in 2100 after the true one: the true one.
record "$S/future" "$PAST" the-true-one
record "$S/future" 4102444800000000 FROM-THE-FUTURE
out=$(explain_gone "$S/future")
check_json "an event stamped later than now is not believed: the one before it is" "$out" \
	'.vanished.known == true and (.vanished.sentence | test("the-true-one")) and (.vanished.sentence | test("FROM-THE-FUTURE") | not)'

# A user's own record, read by that user: theirs to believe.
mkdir -m 0755 "$S/mine" && chown 65534:65534 "$S/mine"
as_nobody sh -c "printf '%s\n' '{\"v\":1,\"event\":\"unmount\",\"t_us\":$PAST,\"boot_id\":\"$BOOT\",\"mntns\":$MNTNS,\"mount\":{\"target\":\"$GONE\",\"fstype\":\"tmpfs\",\"id\":7},\"by\":\"process\",\"sentence\":\"my-own\"}' >'$S/mine/events.jsonl'"
check_json "the user's own record, read by that user: believed" \
	"$(as_nobody "$UMH" explain --json --state-dir "$S/mine" "$GONE")" \
	'.vanished.known == true and (.vanished.sentence | test("my-own"))'
check_json "... the same record, read by root: not" "$(explain_gone "$S/mine")" '.vanished.known == false'
finish
