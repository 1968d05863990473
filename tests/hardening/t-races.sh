# Races: processes that close and reopen descriptors, chdir in and out, and
# thousands that start, exec and exit while explain scans.  No crash, no
# hang, no holder that never existed, the steady holders always found.
. "$(dirname "$0")/../lib.sh"
enter_private_ns "$@"
new_scratch
M=$SCRATCH/mnt
mount_tmpfs "$M"
echo data >"$M/file"
mkdir "$M/dir"

hold cwd cwd "$M/dir"; P_CWD=$HOLDER_PID
hold fd open "$M/file"; P_FD=$HOLDER_PID
hold flip1 flip "$M/file"; P_FLIP1=$HOLDER_PID
hold flip2 flip "$M/file"; P_FLIP2=$HOLDER_PID
hold churn1 churn -; P_CHURN1=$HOLDER_PID
hold churn2 churn /bin/true; P_CHURN2=$HOLDER_PID

# A budget of 4 s: the churners keep both CPUs busy, and a walk of memory
# maps waits for each forking process's mmap lock.  On a slow machine that
# walk once outlasted the default budget (10 s); the scan must then end on
# time, with what the other walks found, and say that it is incomplete.
runs=25 bad_status=0 bad_json=0 phantom=0 missed=0 wrong_path=0 slow=0 partial=0
for ((i = 0; i < runs; i++)); do
	t0=$(date +%s%N)
	json=$("$UMH" explain --json --timeout 4 "$M" 2>"$SCRATCH/err"); rc=$?
	ms=$(( ($(date +%s%N) - t0) / 1000000 ))
	[ "$ms" -lt 5000 ] || { slow=$((slow + 1)); diag "run $i: $ms ms"; }
	[ "$rc" = 32 ] || { bad_status=$((bad_status + 1)); diag "run $i: exit $rc: $(cat "$SCRATCH/err")"; }
	is_json "$json" || { bad_json=$((bad_json + 1)); continue; }
	[ "$(jq .complete <<<"$json")" = true ] ||
		{ partial=$((partial + 1)); diag "run $i: incomplete: $(jq -c '{incomplete, skipped}' <<<"$json")"; }
	# Every holder is one of ours: the churning children hold nothing here.
	n=$(jq "[.holders[].pid | select(. != $P_CWD and . != $P_FD and . != $P_FLIP1 and . != $P_FLIP2)] | length" <<<"$json")
	[ "$n" = 0 ] || { phantom=$((phantom + 1)); diag "run $i: holders not ours: $(jq -c '.holders' <<<"$json")"; }
	# The steady two are always there.
	n=$(jq "[.holders[] | select((.pid == $P_CWD and .kind == \"cwd\") or (.pid == $P_FD and .kind == \"fd\"))] | length" <<<"$json")
	[ "$n" = 2 ] || missed=$((missed + 1))
	# A flipping descriptor or cwd, when reported, is reported with a path
	# on the mount: never /etc/hostname or / from the moment after.
	n=$(jq "[.holders[] | select(.path != null and (.path | startswith(\"$M\") | not))] | length" <<<"$json")
	[ "$n" = 0 ] || { wrong_path=$((wrong_path + 1)); diag "run $i: $(jq -c '.holders' <<<"$json")"; }
done
flips=$(jq -s "[.[] | .holders[] | select(.pid == $P_FLIP1 or .pid == $P_FLIP2)] | length" <<<"$("$UMH" explain --json "$M")")
diag "$runs scans under churn ($partial incomplete); flipping holders seen in the last: $flips"
check_eq "races: every scan exits 32" 0 "$bad_status"
check_eq "races: every scan prints valid JSON" 0 "$bad_json"
check_eq "races: no holder that is not one of ours" 0 "$phantom"
check_eq "races: the steady holders are always found" 0 "$missed"
check_eq "races: no reference reported with a path off the mount" 0 "$wrong_path"
check_eq "races: every scan ends within 5 s (a budget of 4)" 0 "$slow"
check "races: the churners are still churning (the test tested something)" kill -0 "$P_CHURN1" "$P_CHURN2"
check_json "races: skips are only processes we may not read" "$("$UMH" explain --json "$M")" \
	'[.skipped[] | select(.why != "permission denied" and (.why | test("time budget") | not))] | length == 0'

# Without the churners a scan takes milliseconds: many more of them, with
# both scanners, against the two flipping processes alone.  A mount id read
# before a chdir paired with the path read after it shows up here.
kill "$P_CHURN1" "$P_CHURN2"
for mode in bpf procfs; do
	opt=(); [ "$mode" = procfs ] && opt=(--no-bpf)
	# Where the BPF scan cannot load, explain would scan /proc twice.
	[ "$mode" = bpf ] && ! need_feature bpf-scan "races in the BPF scan" && continue
	wrong=0 seen=0
	for ((i = 0; i < 150; i++)); do
		json=$("$UMH" explain --json "${opt[@]}" "$M")
		seen=$((seen + $(jq "[.holders[] | select(.pid == $P_FLIP1 or .pid == $P_FLIP2)] | length" <<<"$json")))
		n=$(jq "[.holders[] | select(.path != null and (.path | startswith(\"$M\") | not))] | length" <<<"$json")
		[ "$n" = 0 ] || { wrong=$((wrong + 1)); diag "$mode run $i: $(jq -c '.holders' <<<"$json")"; }
	done
	diag "$mode: 150 scans, flipping references reported: $seen"
	check_eq "races ($mode scan): a flipping reference is never paired with the path it moved to" 0 "$wrong"
	check "races ($mode scan): flipping references were caught on the mount (the test tested something)" \
		test "$seen" -gt 0
done
finish
