#!/bin/bash
# The seed case, solved: the open ledger runs before the module loads; the
# module filp_opens /mnt/dir/file on NFSv3; umount says busy, lsof and fuser
# see nothing, and explain names the file, says the kernel opened it, and
# shows the stack down to the module's own function.
. "$VM_REPO/tests/vm/guest/lib.sh"
MODE=${LEDGER_MODE:-fentry}

vm_doctor
check_contains "doctor: fentry works on this kernel" "$RUN_OUT" "fentry/fexit    yes"
check_contains "doctor: kprobes work on this kernel" "$RUN_OUT" "kprobes         yes"
check_contains "doctor: the mount's reference count can be read on this kernel" "$RUN_OUT" "mount refcount  yes"

opt=(); [ "$MODE" = kprobe ] && opt=(--no-fentry)
run "$UMH" ledger start "${opt[@]}"
at_exit "$UMH ledger stop"
check_eq "ledger start ($MODE)" 0 "$RUN_RC"
check_contains "the ledger runs with $MODE probes" "$RUN_OUT" "with $MODE probes"

nfs_server_start || { not_ok "start the NFS server on localhost"; exit 1; }
nfs_export_files
nfs_mount nfs vers=3 || exit 1
insmod_holdfile /mnt/dir/file

run umount /mnt
check_eq "umount /mnt: device is busy" "umount.nfs: /mnt: device is busy" "$RUN_OUT"
run fuser -m /mnt
check_eq "fuser -m finds nothing" "" "$RUN_OUT"

run -t 30 "$UMH" explain --json /mnt
json=$RUN_OUT
check_eq "explain exits 32: held" 32 "$RUN_RC"
k='.holders[] | select(.kind == "kernel-open")'
check_eq "one kernel-open holder: /mnt/dir/file" /mnt/dir/file "$(jq -r "$k | .path" <<<"$json")"
detail=$(jq -r "$k | .detail" <<<"$json")
check_contains "it was opened by the kernel while insmod ran" "$detail" "(insmod) ran"
check_contains "its stack starts at filp_open" "$detail" ": filp_open <- "
check_contains "its stack names the module's function" "$detail" "holdfile_init [holdfile]"
check_contains "and the module loader below it" "$detail" "do_one_initcall"
check_eq "the ledger's kernel-open explains the one reference left (60-refcount: without it, 1)" 0 \
	"$(jq -r .unexplained_refs <<<"$json")"
run -t 30 "$UMH" explain /mnt
check_contains "the report says opened inside the kernel" "$RUN_OUT" "opened inside the kernel, by no process: /mnt/dir/file"

run "$UMH" ledger status
check_contains "ledger status: one file held by no descriptor table" "$RUN_OUT" "files are open now that no descriptor table holds"

run rmmod holdfile
run -t 30 "$UMH" explain --json /mnt
check_eq "after rmmod, explain exits 0" 0 "$RUN_RC"
check_eq "after rmmod, no kernel-open holder" "" "$(jq -r '.holders[] | select(.kind == "kernel-open") | .path' <<<"$RUN_OUT")"
run umount /mnt
check_eq "after rmmod, umount succeeds" 0 "$RUN_RC"
run "$UMH" ledger stop
check_eq "ledger stop" 0 "$RUN_RC"
run "$UMH" ledger status
check_eq "ledger status after stop exits 3" 3 "$RUN_RC"
