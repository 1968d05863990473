#!/bin/bash
# A copy of a mount kept by a service's own mount namespace (PrivateTmp=),
# against a real systemd (Debian's, PID 1 of a throw-away container:
# container.sh):
#
#   a tmpfs at /mnt/data (private: the host's unmount does not propagate
#   into namespaces copied from it, as for docker's and many others' private
#   mounts), a service with PrivateTmp=yes started, then /mnt/data
#   unmounted in the container: the filesystem lives on in the service's
#   namespace.
#
# explain of the filesystem names the service, why it has a namespace of
# its own (PrivateTmp=yes), and the remedy `systemctl restart UNIT`, from
# the host (through the container's systemd: nsenter) and from inside; the
# remedy, run as printed, releases the filesystem.
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/container.sh"
. "$(dirname "$0")/sd-lib.sh"

sd_watchdog 180 "the PrivateTmp test"
need_feature overlay "the container (its root is an overlay)" || finish
[ -x "$UMH" ] || { not_ok "test program $UMH is built (make test-programs)"; finish; }
for c in jq unshare nsenter findmnt; do
	command -v "$c" >/dev/null || { not_ok "$c is installed (tools/packages/systemd.txt)"; finish; }
done
at_exit sd_stop
if ! sd_start; then
	not_ok "Debian's systemd boots as PID 1 of a container"
	finish
fi
ok "Debian's systemd boots as PID 1 of a container ($(sd_exec systemctl --version | head -n 1))"

sd_exec mkdir -p /mnt/data /run/umh
IN_UMH=/run/umh/umount-helper
cp "$UMH" "$SD_ROOT$IN_UMH"
sd_exec mount -t tmpfs umh-privtmp /mnt/data
sd_exec mount --make-private /mnt/data
sd_exec touch /mnt/data/file
MAJMIN=$(sd_exec findmnt -n -o MAJ:MIN --mountpoint /mnt/data | tr -d ' ')
unit_file privtmp.service $'[Unit]\nDescription=a service with a private /tmp\n[Service]\nPrivateTmp=yes\nExecStart=/bin/sleep infinity\n'
sd_exec systemctl daemon-reload
sd_exec systemctl start privtmp.service
SVC=$(sd_exec systemctl show -P MainPID privtmp.service)
SVC_HOST=$(grep -l "^NSpid:.*[[:space:]]$SVC$" /proc/[0-9]*/status 2>/dev/null | while read -r f; do
	p=${f#/proc/}; p=${p%/status}
	[ "$(readlink /proc/$p/ns/pid)" = "$(readlink /proc/$SD_PID/ns/pid)" ] && echo "$p"
done | head -n 1)
check "the service runs (pid $SVC inside, $SVC_HOST here)" test -n "$SVC_HOST"
check "its namespace is its own" test "$(readlink /proc/$SVC_HOST/ns/mnt)" != "$(readlink /proc/$SD_PID/ns/mnt)"
check "umount /mnt/data in the container succeeds" sd_exec umount /mnt/data
check "... and the service's namespace still has its copy" grep -q ' /mnt/data ' "/proc/$SVC_HOST/mountinfo"
diag "$(grep ' /mnt/data ' "/proc/$SVC_HOST/mountinfo")"

# From the host, by device number.
json=$("$UMH" explain --json "$MAJMIN"); rc=$?
text=$("$UMH" explain "$MAJMIN")
diag "$text"
check_eq "host: explain MAJ:MIN exits 32 (alive)" 32 "$rc"
SVC_NS=$(readlink "/proc/$SVC_HOST/ns/mnt" | tr -dc 0-9)
# Two of them: systemd moves a copy of the tree over the namespace's root
# for the service, and the first stays below (reached by no path).
check_json_of "host: the copies in the service's namespace are holders" "$json" \
	"[.holders[] | select(.kind == \"mount\" and .object == \"/mnt/data\" and .mount_namespace == $SVC_NS)] | length >= 1"
check_json_of "host: ... and nothing else" "$json" \
	"[.holders[] | select(.kind != \"mount\" or .mount_namespace != $SVC_NS)] | length == 0"
check_json_of "host: the namespace is the service's, with why" "$json" \
	"[.namespaces[] | select(.mount_namespace == $SVC_NS and .unit == \"privtmp.service\" and (.unit_settings | test(\"PrivateTmp=yes\")) and .systemd_pid == $SD_PID)] | length == 1"
check_json_of "host: the remedies: nsenter into it, or restart the service through the container's systemd" "$json" \
	"[.holders[] | select(.kind == \"mount\")][0].remedies | map(.command) == [\"nsenter -t $SVC_HOST -m umount /mnt/data\", \"nsenter -t $SD_PID -m -p systemctl restart privtmp.service\"]"
check_contains "host: text says why" "$text" "privtmp.service gets a mount namespace of its own from PrivateTmp=yes"
check_contains "host: text names the unit" "$text" "unit privtmp.service of the systemd that is pid $SD_PID (PrivateTmp=yes)"

# From inside the container: /mnt/data is no mount point there, but is one
# in the service's namespace; its systemd is the one to ask.
json=$(sd_exec "$IN_UMH" explain --json /mnt/data); rc=$?
text=$(sd_exec "$IN_UMH" explain /mnt/data)
diag "$text"
check_eq "inside: explain of the directory exits 32" 32 "$rc"
check_json_of "inside: a mount point elsewhere, the service's" "$json" \
	".filesystem.mount_point_elsewhere == true and ([.namespaces[] | select(.unit == \"privtmp.service\" and (.unit_settings | test(\"PrivateTmp=yes\")) and (has(\"systemd_pid\") | not))] | length == 1)"
check_json_of "inside: remedy: systemctl restart" "$json" \
	"[.holders[] | select(.kind == \"mount\")][0].remedies[1].command == \"systemctl restart privtmp.service\""

# The remedy, pasted from the host.
remedy=$("$UMH" explain --json "$MAJMIN" | jq -r '[.holders[] | select(.kind == "mount")][0].remedies[1].command')
check "host: the remedy runs: $remedy" bash -c "$remedy"
wait_for "\"\$UMH\" explain \"$MAJMIN\" >/dev/null; [ \$? = 0 ]" 50
json=$("$UMH" explain --json "$MAJMIN"); rc=$?
check_eq "after the restart: explain says the filesystem is gone (exit 0)" 0 "$rc"
check_json_of "after the restart: alive: false" "$json" '.filesystem.alive == false'
finish
