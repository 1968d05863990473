#!/bin/bash
# The seed case with the ledger on kprobes (the fallback where fentry is refused).
LEDGER_MODE=kprobe exec bash "$VM_REPO/tests/vm/scenarios/55-bpf-ledger-seed.sh"
