# The QEMU harness (tests/vm/README.md).  tests/run runs tests/vm/t-vm.sh
# with the other test scripts; these targets are conveniences.
.PHONY: vm-check vm-shell
# All the VM scenarios alone (VM_ONLY=NAME for some of them).
vm-check:
	bash tests/vm/t-vm.sh
# The test guest with an interactive shell, for debugging a scenario.
vm-shell:
	bash tests/vm/shell.sh
