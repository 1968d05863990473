#!/bin/bash
# Shell completion (issue item 8): the bash functions are driven as
# bash-completion drives them (COMP_WORDS, COMP_CWORD, then COMPREPLY); zsh
# runs interactively in a pseudo-terminal (zpty), TAB is pressed and the
# edited command line read back.  Subcommands, options, and mount points
# from the mount table, with names that need escaping.
. "$(dirname "$0")/lib.sh"
enter_private_ns "$@"
. "$TOP/tests/dropin-lib.sh"
make_scratch
link_as umount-helper >/dev/null
link_as umount >/dev/null
export PATH=$SCRATCH/bin:$PATH

SPACED="$SCRATCH/with space"
SLASHED="$SCRATCH/back\\slash"
mkdir -p "$SPACED" "$SLASHED"
mount -t tmpfs spaced "$SPACED"
mount -t tmpfs slashed "$SLASHED"
check "the mount table escapes the names" grep -qF 'with\040space' /proc/self/mountinfo
# A filesystem with a label, on a loop device, mounted nowhere: explain
# takes it by device or tag.
LABEL=umhc-$$ # (ext4 keeps 16 bytes of a label)
truncate -s 8M "$SCRATCH/fs.img" && mkfs.ext4 -q -L "$LABEL" "$SCRATCH/fs.img"
DEV=$(losetup -f --show "$SCRATCH/fs.img")
at_exit "losetup -d $DEV"

# --- bash -------------------------------------------------------------------------
BC=/usr/share/bash-completion/bash_completion
if [ ! -r "$BC" ]; then
	not_ok "bash-completion is not installed (tools/packages/dropin.txt lists it)"
	finish
fi
# complete_bash FUNCTION-FILE WORDS...: the last word is the one completed;
# prints COMPREPLY, one entry a line.
complete_bash() {
	local file=$1; shift
	bash -c '
		. "$1"; . "$2"; shift 2
		COMP_WORDS=("$@"); COMP_CWORD=$(($# - 1))
		COMP_LINE="$*"; COMP_POINT=${#COMP_LINE}
		func=$(complete -p "$1" | sed "s/.*-F \([^ ]*\) .*/\1/")
		"$func" "$1" "${COMP_WORDS[COMP_CWORD]}" "${COMP_WORDS[COMP_CWORD-1]}"
		printf "%s\n" "${COMPREPLY[@]}"
	' _ "$BC" "$file" "$@"
}
B=$TOP/completions/bash
check_eq "bash: subcommands" explain "$(complete_bash "$B/umount-helper" umount-helper ex)"
check_contains "bash: top-level options" "$(complete_bash "$B/umount-helper" umount-helper --)" "--version"
check_eq "bash: explain's options" "--json" "$(complete_bash "$B/umount-helper" umount-helper explain --js)"
check_eq "bash: a mount point with a space" "$SPACED" "$(complete_bash "$B/umount-helper" umount-helper explain "$SCRATCH/wi")"
check_eq "bash: ... typed with its escape" "$SPACED" "$(complete_bash "$B/umount-helper" umount-helper explain "$SCRATCH/with\\ s")"
check_eq "bash: a mount point with a backslash" "$SLASHED" "$(complete_bash "$B/umount-helper" umount-helper explain "$SCRATCH/back")"
check_contains "bash: targets come from the mount table" "$(complete_bash "$B/umount-helper" umount-helper explain /pr)" "/proc"
check_eq "bash: a filesystem label" "LABEL=$LABEL" "$(complete_bash "$B/umount-helper" umount-helper explain LABEL=umhc)"
check_contains "bash: a block device" "$(complete_bash "$B/umount-helper" umount-helper explain /dev/loo)" "$DEV"
check_contains "bash: the tags offered from L" "$(complete_bash "$B/umount-helper" umount-helper explain L)" "LABEL=$LABEL"
check_contains "bash: explain's --fs" "$(complete_bash "$B/umount-helper" umount-helper explain --f)" "--fs"
check_eq "bash, umount: a filesystem label" "LABEL=$LABEL" "$(complete_bash "$B/umount" umount --explain LABEL=umhc)"
check_contains "bash, umount: --explain" "$(complete_bash "$B/umount" umount --exp)" "--explain"
check_contains "bash, umount: util-linux's options" "$(complete_bash "$B/umount" umount --)" "--all-targets"
check_eq "bash, umount: mount points" "$SPACED" "$(complete_bash "$B/umount" umount --explain "$SCRATCH/wi")"
check_contains "bash, umount: -t offers filesystem types" "$(complete_bash "$B/umount" umount -a -t tmp)" "tmpfs"
check_contains "bash, umount: -t no... offers negated types" "$(complete_bash "$B/umount" umount -a -t notmp)" "notmpfs"

# --- zsh --------------------------------------------------------------------------
if ! command -v zsh >/dev/null; then
	not_ok "zsh is not installed (tools/packages/dropin.txt lists it)"
	finish
fi
# complete_zsh FPATH-DIR TEXT: types TEXT and TAB in an interactive zsh;
# prints the command line as completion left it.
complete_zsh() {
	local out=$SCRATCH/zsh.buffer
	rm -f "$out"
	timeout 30 zsh -f -c '
		zmodload zsh/zpty
		zpty -b z "zsh -f -i"
		zpty -w z "fpath=($1 \$fpath); autoload -Uz compinit; compinit -u -D; unsetopt beep
			dump() { print -r -- \"\$BUFFER\" >$2 }; zle -N dump; bindkey \"^X\" dump"
		zpty -n -w z "$3"$'"'"'\t'"'"'
		sleep 1
		zpty -n -w z $'"'"'\C-x'"'"'
		for i in {1..50}; do [[ -s $2 ]] && break; sleep 0.1; done
		zpty -d z
	' _ "$1" "$out" "$2"
	cat "$out" 2>/dev/null
}
Z=$TOP/completions/zsh
check_eq "zsh: subcommands" "umount-helper explain " "$(complete_zsh "$Z" "umount-helper ex")"
check_eq "zsh: explain's options" "umount-helper explain --json " "$(complete_zsh "$Z" "umount-helper explain --js")"
check_eq "zsh: a mount point with a space, quoted" "umount-helper explain $SCRATCH/with\\ space " \
	"$(complete_zsh "$Z" "umount-helper explain $SCRATCH/wi")"
check_eq "zsh: a mount point with a backslash, quoted" "umount-helper explain $SCRATCH/back\\\\slash " \
	"$(complete_zsh "$Z" "umount-helper explain $SCRATCH/bac")"
check_eq "zsh: a filesystem label" "umount-helper explain LABEL=$LABEL " "$(complete_zsh "$Z" "umount-helper explain LABEL=umhc")"
check_eq "zsh: explain's --fs" "umount-helper explain --fs " "$(complete_zsh "$Z" "umount-helper explain --f")"
check_eq "zsh, umount: --explain" "umount --explain " "$(complete_zsh "$Z" "umount --expl")"
check_eq "zsh, umount: mount points" "umount $SCRATCH/with\\ space " "$(complete_zsh "$Z" "umount $SCRATCH/wi")"
finish
