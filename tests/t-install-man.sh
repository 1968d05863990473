#!/bin/bash
# The man pages (issue item 7): groff and man render them without a single
# warning, and they document what the program actually has: every option
# its --help texts list, every exit code, every JSON field a real run
# prints.
. "$(dirname "$0")/lib.sh"
enter_private_ns "$@"
. "$TOP/tests/dropin-lib.sh"
make_scratch
MAN=$TOP/man
pages=("$MAN"/umount-helper.8 "$MAN"/umount-helper-wrapper.8 "$MAN"/umount-helper.conf.5)

for p in "${pages[@]}"; do
	warnings=$(groff -ww -man -Tutf8 "$p" 2>&1 >/dev/null)
	check_eq "groff -ww: no warnings for ${p##*/}" "" "$warnings"
	out=$(MANWIDTH=80 man --warnings -l "$p" 2>"$SCRATCH/man.err")
	check_eq "man -l: no warnings for ${p##*/}" "" "$(cat "$SCRATCH/man.err")"
	check_contains "man -l renders ${p##*/}" "$out" "SEE ALSO"
done

text() { MANWIDTH=200 man -l "$1" 2>/dev/null; }
tool=$(text "$MAN/umount-helper.8")
wrapper=$(text "$MAN/umount-helper-wrapper.8")
conf=$(text "$MAN/umount-helper.conf.5")

# Every long option and every subcommand the program lists.
for o in $("$UMH" explain --help | grep -o -- '--[a-z-]*' | sort -u); do
	check_contains "umount-helper(8) documents explain $o" "$tool" "$o"
done
for c in $("$UMH" --help | sed -n '/^Commands:/,/^$/s/^ \([a-z-]*\) .*/\1/p'); do
	check_contains "umount-helper(8) documents the command $c" "$tool" "$c"
done
FE=$(link_as umount)
for o in $("$FE" --help | grep -o -- '--[a-z-]*' | sort -u); do
	check_contains "umount-helper(8) documents the front end's $o" "$tool" "$o"
done
H=$(link_as umount.tmpfs)
for o in $("$H" -h | grep -o -- ' -[a-zA-Z]' | sort -u); do
	check_contains "umount-helper-wrapper(8) documents the helper's$o" "$wrapper" "$o"
done
for code in 0 1 2 4 8 16 32 126; do
	check "umount-helper(8) documents exit status $code" grep -qE "^ {7}$code( |$)" <<<"$tool"
done

# Every key of a real JSON report.
M=$(new_tmpfs m)
for k in $("$UMH" explain --json "$M" | jq -r '[paths | map(select(type == "string")) | last] | unique | .[]'); do
	check_contains "umount-helper(8) documents the JSON field $k" "$tool" "$k"
done
start_holder "$SCRATCH/ready" "$FIX/holder" "$SCRATCH/ready" cwd "$M"
for k in $("$UMH" explain --json "$M" | jq -r '.holders[0] | keys[]'); do
	check_contains "umount-helper(8) documents the holder field $k" "$tool" "$k"
done

for k in explain timeout helper. UMOUNT_HELPER_CONF UMOUNT_HELPER_EXPLAIN; do
	check_contains "umount-helper.conf(5) documents $k" "$conf" "$k"
done
finish
