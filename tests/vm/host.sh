# Host side of the VM harness, sourced by t-vm.sh and shell.sh.
#
#   vm_prepare          find Debian's kernel, build holdfile.ko, the mmap
#                       holder and the initramfs under build/tests/vm/
#   vm_qemu_args MODE   the qemu-system-x86_64 command line (in VM_QEMU[])
#
# Everything it needs comes from tools/packages/vm.txt.  On failure the
# functions print why on stderr and return non-zero.

set -u
VM_TOP=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
VM_SRC=$VM_TOP/tests/vm
VM_OUT=$VM_TOP/build/tests/vm
# Modules the initramfs needs to reach the host root; their dependencies are
# found with modinfo.  virtio_rng feeds the guest's entropy pool.
VM_INITRD_MODULES="virtio_pci 9pnet_virtio 9p virtio_rng"

vm_err() { echo "vm: $*" >&2; }

# The kernel to boot is the newest one under /lib/modules that has both its
# headers (build/) and an image in /boot: that is Debian's linux-image-amd64,
# whatever kernel the host itself runs.
vm_find_kernel() {
	local v
	VM_KVER=
	for v in $(ls /lib/modules 2>/dev/null | sort -V); do
		[ -e "/lib/modules/$v/build/Makefile" ] && [ -r "/boot/vmlinuz-$v" ] && VM_KVER=$v
	done
	if [ -z "$VM_KVER" ]; then
		vm_err "no kernel with headers found (/lib/modules/*/build and /boot/vmlinuz-*): run tools/install-deps (linux-image-amd64, linux-headers-amd64)"
		return 1
	fi
	VM_KERNEL=/boot/vmlinuz-$VM_KVER
}

vm_need() { # COMMAND... : each must be on PATH
	local c
	for c; do
		command -v "$c" >/dev/null || { vm_err "missing command $c: run tools/install-deps"; return 1; }
	done
}

# holdfile.ko: the sources are copied under build/ so that kbuild's output
# stays out of the source tree; rebuilt when a source or the kernel changes.
vm_build_module() {
	local d=$VM_OUT/kmod f log
	mkdir -p "$d" || return 1
	if [ -e "$d/holdfile.ko" ] && [ "$(cat "$d/.kver" 2>/dev/null)" = "$VM_KVER" ]; then
		local stale=
		for f in "$VM_SRC"/kmod/*; do [ "$f" -nt "$d/holdfile.ko" ] && stale=1; done
		[ -z "$stale" ] && return 0
	fi
	cp "$VM_SRC"/kmod/holdfile.c "$VM_SRC"/kmod/Kbuild "$d/" || return 1
	log=$d/build.log
	if ! make -C "/lib/modules/$VM_KVER/build" M="$d" modules >"$log" 2>&1; then
		vm_err "building holdfile.ko against $VM_KVER failed:"
		cat "$log" >&2
		return 1
	fi
	echo "$VM_KVER" >"$d/.kver"
}

# Small C helpers run inside the guest (statically linked: nothing to load
# from 9p at exec time but the binary itself).
vm_build_helpers() {
	local s b
	mkdir -p "$VM_OUT/bin" || return 1
	for s in "$VM_SRC"/guest/*.c; do
		b=$VM_OUT/bin/$(basename "$s" .c)
		[ -x "$b" ] && [ "$b" -nt "$s" ] && continue
		${CC:-cc} -std=gnu11 -O2 -Wall -Wextra -Werror -static -o "$b" "$s" ||
			{ vm_err "cannot build $s"; return 1; }
	done
}

# Appends NAME's dependencies, then NAME, to VM_MODLIST (each once).
vm_mod_closure() {
	local name=$1 dep deps
	case " $VM_MODLIST " in *" $name "*) return 0;; esac
	deps=$(modinfo -k "$VM_KVER" -F depends "$name" 2>/dev/null) || {
		vm_err "modinfo cannot find module $name for $VM_KVER"
		return 1
	}
	for dep in ${deps//,/ }; do
		vm_mod_closure "$dep" || return 1
	done
	VM_MODLIST="$VM_MODLIST $name"
}

vm_build_initramfs() {
	local root=$VM_OUT/initramfs m file out=$VM_OUT/initramfs.cpio
	VM_MODLIST=
	for m in $VM_INITRD_MODULES; do vm_mod_closure "$m" || return 1; done
	rm -rf "$root" && mkdir -p "$root/bin" "$root/modules" || return 1
	cp /bin/busybox "$root/bin/busybox" || { vm_err "no /bin/busybox (busybox-static)"; return 1; }
	cp "$VM_SRC/init" "$root/init" && chmod 755 "$root/init" || return 1
	: >"$root/modules.list"
	for m in $VM_MODLIST; do
		file=$(modinfo -k "$VM_KVER" -F filename "$m") || return 1
		# A module built into the kernel needs no loading.
		case $file in /*) ;; *) continue;; esac
		# busybox's insmod takes plain .ko files only.
		case $file in
		*.ko) cp "$file" "$root/modules/$m.ko";;
		*.ko.xz) xz -dc "$file" >"$root/modules/$m.ko";;
		*.ko.zst) zstd -qdc "$file" >"$root/modules/$m.ko";;
		*.ko.gz) gzip -dc "$file" >"$root/modules/$m.ko";;
		*) vm_err "unknown module file type: $file"; return 1;;
		esac || return 1
		echo "$m" >>"$root/modules.list"
	done
	(cd "$root" && find . | LC_ALL=C sort | cpio --quiet -o -H newc) >"$out.tmp" &&
		mv "$out.tmp" "$out" || { vm_err "cpio failed"; return 1; }
	VM_INITRD=$out
}

vm_prepare() {
	vm_need qemu-system-x86_64 modinfo cpio make || return 1
	[ -x /bin/busybox ] || { vm_err "no /bin/busybox: install busybox-static (tools/install-deps)"; return 1; }
	vm_find_kernel && vm_build_module && vm_build_helpers && vm_build_initramfs
}

# vm_qemu_args MODE [ONLY]: MODE is run (console on stdout, no monitor) or
# shell (console and monitor on the terminal: Ctrl-A x quits).
vm_qemu_args() {
	local mode=$1 only=${2:-} serial=stdio
	[ "$mode" = shell ] && serial=mon:stdio
	VM_QEMU=(qemu-system-x86_64 -accel tcg -m 1024 -smp 2
		-nodefaults -no-user-config -nographic -serial "$serial" -no-reboot
		-kernel "$VM_KERNEL" -initrd "$VM_INITRD"
		-append "console=ttyS0 loglevel=1 panic=-1 rdinit=/init umh_repo=$VM_TOP umh_mode=$mode umh_only=$only umh_timeout=${VM_GUEST_TIMEOUT:-420} umh_scenario_timeout=${VM_SCENARIO_TIMEOUT:-240}"
		-virtfs local,path=/,mount_tag=hostroot,security_model=none,readonly=on,multidevs=remap
		-device virtio-rng-pci)
}
