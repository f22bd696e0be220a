#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-only
#
# bench/guest.sh: the benchmarks, run as root inside the VM by bench/run
# (tests/vm/run --add bench/guest.sh -- sh /add/guest.sh ...).  Every item
# runs in this one boot, on the same devices.
#
#   guest.sh [--smoke] [--cycles N] [--floor N] [--rounds N] [--runtime SEC]
#            [--items LIST] [--profile WHAT]
#
# Results are lines "@R item=... key=value ..." on stdout, read by bench/run;
# lines starting with "#" are progress.  Items (LIST is comma-separated):
#   freeze  freeze latency under fio 4k randwrite QD32, virtio and null_blk
#   floor   time from freeze start to the last in-flight write completing
#   reads   read IOPS while frozen over unfrozen
#   hook    fio 4k randwrite on null_blk: module unloaded / idle / session
#   lib     libjetfreeze's io_uring path against fio's io_uring engine
#   multi   freeze time of 1, 4, 16, 64 devices
#   release release time of 10k and 100k held writes
# --profile WHAT runs perf over one workload instead (hook-unloaded,
# hook-idle, hook-session, lib, fio-uring, multi) and prints the report;
# freeze-virtio and freeze-nullb break the freeze latency down with the
# function graph tracer.
set -eu

smoke=0
cycles=60
floor_n=30
rounds=7
runtime=4
items=freeze,floor,reads,hook,lib,multi,release
profile=
while [ $# -gt 0 ]; do
	case $1 in
	--smoke) smoke=1; shift ;;
	--cycles) cycles=$2; shift 2 ;;
	--floor) floor_n=$2; shift 2 ;;
	--rounds) rounds=$2; shift 2 ;;
	--runtime) runtime=$2; shift 2 ;;
	--items) items=$2; shift 2 ;;
	--profile) profile=$2; shift 2 ;;
	*) echo "guest.sh: unknown option $1" >&2; exit 2 ;;
	esac
done
file_mib=256
flood_rounds=3
multi_cycles=$cycles
# windows of the in-run samplers (reads, hook)
win_ms=2000
settle_ms=500
reads_n=$((rounds + 3))
hook_n=$((rounds * 2 + 1))
if [ "$smoke" = 1 ]; then
	cycles=1 floor_n=1 rounds=1 runtime=1 file_mib=32 flood_rounds=1
	multi_cycles=1 win_ms=500 settle_ms=200 reads_n=1 hook_n=1
fi

W=/tmp/bench
TRACING=/sys/kernel/tracing
mkdir -p "$W"

# wait_for, nullb_new, dm_node: the VM test cases' helpers
JF_TEST=bench
. /add/lib.sh

say() { echo "# $*"; }
fail() {
	echo "guest.sh: error: $*" >&2
	exit 1
}
# has ITEM: ITEM is in the list
has() {
	case ",$items," in *",$1,"*) return 0 ;; esac
	return 1
}

# the kernel's dev_t of a block device node
devt() {
	stat -L -c '%t %T' "$1" | {
		read -r _ma _mi
		echo $(((0x$_ma << 20) | 0x$_mi))
	}
}

jf_load() {
	if [ ! -d /sys/module/jetfreeze ]; then
		modprobe jetfreeze || fail "modprobe jetfreeze"
	fi
	# 100k held 4 KiB writes are more than the default eighth of RAM
	echo 1024 >/sys/module/jetfreeze/parameters/max_held_mib
}

jf_unload() {
	if [ -d /sys/module/jetfreeze ]; then
		rmmod jetfreeze || fail "rmmod jetfreeze"
	fi
}

# fio_iops RW TERSE_FILE: the IOPS of a terse-v3 report
fio_iops() {
	case $1 in
	*read) _col=8 ;;
	*) _col=49 ;;
	esac
	grep '^3;' "$2" | cut -d';' -f"$_col" | head -n 1
}

# fio_run OUT RW DEV_OR_FILE ENGINE SECONDS [more fio options]
fio_run() {
	_out=$1 _rw=$2 _f=$3 _eng=$4 _sec=$5
	shift 5
	fio --name=b --filename="$_f" --rw="$_rw" --bs=4k --iodepth=32 \
		--ioengine="$_eng" --direct=1 --time_based --runtime="$_sec" \
		--output-format=terse --terse-version=3 "$@" >"$_out" 2>"$_out.err" ||
		{ cat "$_out.err" >&2; return 1; }
}

# ---- setup ------------------------------------------------------------

setup_common() {
	echo 1048576 >/proc/sys/fs/aio-max-nr
	modprobe null_blk nr_devices=0 || fail "modprobe null_blk"
	modprobe ext4 2>/dev/null || :
	jf_load
}

# make_stack NAME DISK MNT: DISK -> dm-linear NAME -> ext4 on MNT, with a
# written file MNT/f; sets stack_dm (the dm node) for the caller
make_stack() {
	_name=$1 _disk=$2 _mnt=$3
	echo "0 $(blockdev --getsz "$_disk") linear $_disk 0" |
		dmsetup create "$_name" || fail "dmsetup create $_name"
	stack_dm=$(dm_node "$_name")
	# no lazy init: no background writes of the filesystem's own
	mkfs.ext4 -q -F -E lazy_itable_init=0,lazy_journal_init=0 "$stack_dm" \
		>/dev/null 2>&1 || fail "mkfs.ext4 $stack_dm"
	mkdir -p "$_mnt"
	mount -t ext4 -o noatime "$stack_dm" "$_mnt" || fail "mount $stack_dm"
	dd if=/dev/zero of="$_mnt/f" bs=1M count="$file_mib" oflag=direct \
		2>/dev/null || fail "writing $_mnt/f"
	sync
}

stacks=
setup_stacks() {
	make_stack jfbv /dev/vdb /mnt/v
	v_dm=$stack_dm
	nullb_new jfslow memory_backed=1 size=512 irqmode=2 \
		completion_nsec=1000000 >/dev/null || fail "null_blk jfslow"
	make_stack jfbn /dev/jfslow /mnt/n
	n_dm=$stack_dm
	stacks="virtio nullb"
	say "stacks: virtio $v_dm over /dev/vdb, nullb $n_dm over /dev/jfslow (1 ms completions)"
}

teardown_stacks() {
	[ -n "$stacks" ] || return 0
	sync
	umount /mnt/v /mnt/n || fail "umount"
	dmsetup remove jfbv || fail "dmsetup remove jfbv"
	dmsetup remove jfbn || fail "dmsetup remove jfbn"
	stacks=
}

# stack_vars STACK: disk, dm, dmname, mnt of a stack
stack_vars() {
	case $1 in
	virtio) disk=/dev/vdb dm=$v_dm dmname=jfbv mnt=/mnt/v ;;
	nullb) disk=/dev/jfslow dm=$n_dm dmname=jfbn mnt=/mnt/n ;;
	esac
}

load_start() {
	fio --name=load --filename="$1" --rw=randwrite --bs=4k --iodepth=32 \
		--ioengine=libaio --direct=1 --time_based --runtime=100000 \
		--output-format=terse --terse-version=3 >"$W/load.out" 2>&1 &
	load_pid=$!
	sleep 2
	kill -0 "$load_pid" 2>/dev/null || fail "fio load did not start: $(cat "$W/load.out")"
}

load_stop() {
	kill -INT "$load_pid" 2>/dev/null || :
	wait "$load_pid" || :
	load_iops=$(fio_iops randwrite "$W/load.out")
}

# ---- 1. freeze latency -------------------------------------------------

item_freeze() {
	for s in $stacks; do
		stack_vars "$s"
		say "freeze latency on $s: $cycles cycles of every method under fio randwrite QD32"
		load_start "$mnt/f"
		jfbench cycles -n "$cycles" -H 50 -g 150 \
			"jf:jetfreeze:$dm@0,$disk@1" "jf:jetfreeze-disk:$disk" \
			"fs:fsfreeze:$mnt" "dm:dmsuspend:$dmname" \
			"dmnl:dmsuspend-nolockfs:$dmname" >"$W/cycles.out" ||
			{ cat "$W/cycles.out"; fail "freeze cycles on $s"; }
		load_stop
		sed "s/^/@R item=freeze stack=$s /" "$W/cycles.out"
		echo "@R item=load stack=$s iops=$load_iops"
	done
}

# ---- floor -------------------------------------------------------------

trace_setup() {
	_dt=$(devt "$1")
	echo 0 >$TRACING/tracing_on
	echo 8192 >$TRACING/buffer_size_kb
	echo mono >$TRACING/trace_clock 2>/dev/null || :
	for e in block_rq_insert block_rq_issue block_rq_complete; do
		echo "dev == $_dt" >$TRACING/events/block/$e/filter
		echo 1 >$TRACING/events/block/$e/enable
	done
}

trace_off() {
	echo 0 >$TRACING/tracing_on
	for e in block_rq_insert block_rq_issue block_rq_complete; do
		echo 0 >$TRACING/events/block/$e/enable
		echo 0 >$TRACING/events/block/$e/filter
	done
	echo >$TRACING/trace
}

# The writes in flight at the marker (inserted or issued before it, not
# completed), and when the last of them completed: prints floor_us and
# pending, or floor_us=NA when the trace lost some.  Also the cache
# flushes issued after the marker, which every method pays on top of the
# floor: flush_us, their time from issue to completion added up (a
# device runs one at a time), and flushes, how many.
floor_of_trace() {
	awk '
	function ts() {
		if (match($0, / [0-9]+\.[0-9]+: /))
			return substr($0, RSTART + 1, RLENGTH - 3) + 0
		return -1
	}
	function sector(  i) {
		for (i = 1; i < NF; i++)
			if ($(i + 1) == "+")
				return $i
		return ""
	}
	function rwbs(  i) {
		for (i = 1; i < NF; i++)
			if ($i ~ /^block_rq_/)
				return $(i + 2)
		return ""
	}
	/tracing_mark_write: jfbench-t0/ {
		if (marked)
			next
		marked = 1
		t0 = ts()
		last = t0
		npend = 0
		for (s in infl) {
			pend[s] = 1
			npend++
		}
		n_at = npend
		if (npend == 0)
			done = 1
		next
	}
	/block_rq_issue:/ && marked && rwbs() ~ /^F/ {
		fq[fq_in++] = ts()
		next
	}
	/block_rq_complete:/ && marked && rwbs() ~ /^F/ {
		if (fq_out < fq_in) {
			flush_us += (ts() - fq[fq_out++]) * 1e6
			nflush++
		}
		next
	}
	/block_rq_(insert|issue):/ {
		if (marked || rwbs() !~ /W/)
			next
		infl[sector()] = 1
		next
	}
	/block_rq_complete:/ {
		s = sector()
		if (!marked) {
			delete infl[s]
			next
		}
		if (done || !(s in pend))
			next
		delete pend[s]
		last = ts()
		if (--npend == 0)
			done = 1
	}
	END {
		if (!marked || !done)
			printf "floor_us=NA pending=%d", npend
		else
			printf "floor_us=%.1f pending=%d", (last - t0) * 1e6, n_at
		printf " flush_us=%.1f flushes=%d\n", flush_us, nflush
	}' "$1"
}

item_floor() {
	for s in $stacks; do
		stack_vars "$s"
		say "floor on $s: $floor_n traced freezes under the same load"
		# events on before the load: enabling them patches the kernel's
		# text, which must not happen under concurrent writers (see the
		# hook item)
		trace_setup "$disk"
		load_start "$mnt/f"
		i=0
		while [ "$i" -lt "$floor_n" ]; do
			echo >$TRACING/trace
			echo 1 >$TRACING/tracing_on
			jfbench cycles -n 1 -m -H 50 -g 300 \
				"jf:jetfreeze:$dm@0,$disk@1" >"$W/fc.out" ||
				{ cat "$W/fc.out"; fail "traced freeze on $s"; }
			echo 0 >$TRACING/tracing_on
			cat $TRACING/trace >"$W/trace.txt"
			fl=$(floor_of_trace "$W/trace.txt")
			fz=$(sed -n 's/.*freeze_us=\([0-9.]*\).*/\1/p' "$W/fc.out")
			echo "@R item=floor stack=$s cycle=$i $fl freeze_us=$fz"
			i=$((i + 1))
		done
		load_stop
		trace_off
	done
}

# ---- 2. reads while frozen ----------------------------------------------
#
# One fio randread job runs throughout; jfbench alternates unfrozen and
# frozen windows of equal length and counts the reads the dm device (under
# the filesystem) completed in each, so every frozen window has an
# unfrozen one just before it.

item_reads() {
	for s in $stacks; do
		stack_vars "$s"
		say "reads on $s: fio randread QD32, $reads_n x ${win_ms} ms frozen / unfrozen windows per method"
		fio --name=reads --filename="$mnt/f" --rw=randread --bs=4k --iodepth=32 \
			--ioengine=libaio --direct=1 --time_based --runtime=100000 \
			--readonly --norandommap >"$W/reads.out" 2>&1 &
		rpid=$!
		sleep 2
		jfbench cycles -n "$reads_n" -H "$win_ms" -g $((win_ms + settle_ms)) \
			-t 60000 -R "/sys/block/${dm#/dev/}/stat" \
			"jf:jetfreeze:$dm@0,$disk@1" "fs:fsfreeze:$mnt" \
			"dm:dmsuspend:$dmname" >"$W/rcycles.out" ||
			{ cat "$W/rcycles.out"; fail "read windows on $s"; }
		kill -INT "$rpid" 2>/dev/null || :
		wait "$rpid" || :
		awk -v s="$s" '{
			for (i = 1; i <= NF; i++) {
				split($i, kv, "=")
				v[kv[1]] = kv[2]
			}
			printf "@R item=reads stack=%s method=%s round=%s unfrozen=%s frozen=%s\n",
				s, v["method"], v["cycle"], v["unfrozen_rps"], v["frozen_rps"]
		}' "$W/rcycles.out"
	done
}

# ---- 3. hook cost ------------------------------------------------------
#
# One fio randwrite job runs on jfhook throughout, and each state's window
# counts the writes jfhook completed, so adjacent windows cancel most of
# the shared host's drift.  The module is switched only while fio is
# stopped (SIGSTOP) and nothing is in flight: loading or unloading it
# patches submit_bio_noacct(), and doing that under concurrent submitters
# hung or crashed the submitting CPU under QEMU/TCG (see
# Documentation/benchmarks.md).  The first settle_ms after fio resumes are
# left out.

hook_devs() {
	[ -b /dev/jfhook ] && return 0
	# no completion delay, no memory: the submit path is all there is
	nullb_new jfhook size=1024 irqmode=0 >/dev/null || fail "null_blk jfhook"
	nullb_new jfother size=1024 irqmode=0 >/dev/null || fail "null_blk jfother"
}

# nothing_in_flight DEV: no request of DEV in flight
nothing_in_flight() {
	read -r _r _w <"/sys/block/$1/inflight"
	[ "$_r" = 0 ] && [ "$_w" = 0 ]
}

# children PID: the processes whose parent is PID
children() {
	for _s in /proc/[0-9]*/stat; do
		# pid (comm) state ppid ...: the comm of fio has no blanks
		read -r _pid _comm _st _ppid _rest <"$_s" 2>/dev/null || continue
		[ "$_ppid" = "$1" ] && echo "$_pid"
	done
}

# fio_pause PID / fio_resume PID: stop or continue fio and its job process
fio_pause() {
	for _p in "$1" $(children "$1"); do
		kill -STOP "$_p"
	done
	wait_for 10 nothing_in_flight jfhook || fail "jfhook does not drain"
}

fio_resume() {
	for _p in "$1" $(children "$1"); do
		kill -CONT "$_p"
	done
}

# hook_state STATE: put the module in STATE (unloaded, idle, session)
hook_state() {
	rm -f "$W/hold.ready" "$W/hold.stop"
	case $1 in
	unloaded) jf_unload ;;
	idle) jf_load ;;
	session)
		jf_load
		jftest hold -t 70000 -r "$W/hold.ready" -u "$W/hold.stop" \
			/dev/jfother >"$W/hold.out" 2>&1 &
		hold_pid=$!
		wait_for 20 test -f "$W/hold.ready" || fail "session on jfother"
		;;
	esac
}

hook_end() {
	if [ "$1" = session ]; then
		touch "$W/hold.stop"
		wait "$hold_pid" || { cat "$W/hold.out"; fail "the session on jfother broke"; }
	fi
}

item_hook() {
	hook_devs
	say "hook cost: fio randwrite QD32 on null_blk, $hook_n rounds of ${win_ms} ms per state"
	fio --name=hook --filename=/dev/jfhook --rw=randwrite --bs=4k --iodepth=32 \
		--ioengine=libaio --direct=1 --time_based --runtime=100000 \
		--norandommap >"$W/hook.out" 2>&1 &
	hpid=$!
	sleep 2
	settle=$(awk -v ms="$settle_ms" 'BEGIN { print ms / 1000 }')
	r=0
	while [ "$r" -lt "$hook_n" ]; do
		case $((r % 3)) in
		0) order="unloaded idle session" ;;
		1) order="idle session unloaded" ;;
		2) order="session unloaded idle" ;;
		esac
		for st in $order; do
			fio_pause "$hpid"
			hook_state "$st"
			fio_resume "$hpid"
			sleep "$settle"
			rt=$(jfbench rate -w -d "$win_ms" /sys/block/jfhook/stat)
			fio_pause "$hpid"
			hook_end "$st"
			fio_resume "$hpid"
			echo "@R item=hook round=$r state=$st iops=${rt#rate=}"
		done
		r=$((r + 1))
	done
	fio_pause "$hpid"
	jf_load
	fio_resume "$hpid"
	kill -INT "$hpid" 2>/dev/null || :
	wait "$hpid" || :
}

# ---- 4. library path ---------------------------------------------------

item_lib() {
	hook_devs
	jf_load
	command -v jfbench-lib >/dev/null || fail "jfbench-lib is missing"
	for dev in /dev/jfhook /dev/vdc; do
		say "library path on $dev: jfbench-lib vs fio io_uring, QD32 4k, ${runtime}s, $rounds rounds"
		r=0
		while [ "$r" -lt "$rounds" ]; do
			if [ $((r % 2)) = 0 ]; then order="fio lib"; else order="lib fio"; fi
			for w in $order; do
				if [ "$w" = fio ]; then
					fio_run "$W/lf.out" randwrite "$dev" io_uring "$runtime" \
						--norandommap --gtod_reduce=1 || fail "fio io_uring"
					iops=$(fio_iops randwrite "$W/lf.out")
				else
					jfbench-lib -d 32 -s 4096 -r "$runtime" "$dev" >"$W/ll.out" 2>&1 ||
						{ cat "$W/ll.out"; fail "jfbench-lib on $dev"; }
					iops=$(sed -n 's/.*iops=\([0-9]*\).*/\1/p' "$W/ll.out")
				fi
				echo "@R item=lib dev=${dev#/dev/} round=$r path=$w iops=$iops"
			done
			r=$((r + 1))
		done
	done
}

# ---- 5. many devices, release ------------------------------------------

multi_devs() {
	[ -b /dev/jfm63 ] && return 0
	i=0
	while [ "$i" -lt 64 ]; do
		nullb_new "jfm$i" size=64 irqmode=0 >/dev/null || fail "null_blk jfm$i"
		i=$((i + 1))
	done
}

# devlist N: /dev/jfm0,...,/dev/jfm(N-1)
devlist() {
	awk -v n="$1" 'BEGIN { for (i = 0; i < n; i++) printf "%s/dev/jfm%d", i ? "," : "", i; print "" }'
}

item_multi() {
	multi_devs
	jf_load
	say "freeze of 1, 4, 16, 64 idle null_blk devices at once: $multi_cycles cycles"
	jfbench cycles -n "$multi_cycles" -H 10 -g 50 "jf:n1:$(devlist 1)" \
		"jf:n4:$(devlist 4)" "jf:n16:$(devlist 16)" \
		"jf:n64:$(devlist 64)" >"$W/multi.out" ||
		{ cat "$W/multi.out"; fail "multi-device cycles"; }
	sed "s/^/@R item=multi /" "$W/multi.out"
}

item_release() {
	hook_devs
	jf_load
	for n in 10000 100000; do
		say "release of $n held 4 KiB writes on null_blk, $flood_rounds rounds"
		r=0
		while [ "$r" -lt "$flood_rounds" ]; do
			jfbench flood -n "$n" -s 4096 -t 60000 /dev/jfhook >"$W/flood.out" 2>&1 ||
				{ cat "$W/flood.out"; fail "flood of $n"; }
			echo "@R item=release round=$r $(cat "$W/flood.out")"
			r=$((r + 1))
		done
	done
}

# ---- profiling ---------------------------------------------------------

# perf_report OUT: the hottest symbols of a perf.data, and the share of the
# busy (not idle) samples that the jetfreeze hook accounts for: its own
# functions (the submit path, its records), ftrace's trampoline
perf_report() {
	perf report -i "$1" --stdio --no-children --sort sym,dso -g none \
		--percent-limit 0.5 2>/dev/null | grep -v '^$' | grep -v '^#' | head -n 60
	perf report -i "$1" --stdio --no-children --sort sym -g none \
		--percent-limit 0 2>/dev/null | awk '
		/^#/ || NF < 3 { next }
		{
			p = $1; sub(/%/, "", p); p += 0
			sym = $3
			for (i = 4; i <= NF; i++)
				sym = sym " " $i
			all += p
			if (sym ~ /safe_halt|default_idle|cpu_idle|do_idle|mwait|poll_idle|acpi_idle/) {
				idle += p
				next
			}
			if (sym ~ /^jf_|ftrace_caller|ftrace_regs_caller|ftrace_stub|ftrace_trampoline|ftrace_ops_assist|ftrace_graph|srcu_read_lock|srcu_read_unlock|within_module|is_module_text|__module_address|0xffffffffc0/) {
				hook += p
				hs = hs sprintf("#     %6.2f%%  %s\n", p, sym)
			}
		}
		END {
			busy = all - idle
			printf "# busy samples: %.1f%% of all; the hook: %.2f%% of all, %.2f%% of busy\n", busy, hook, (busy > 0 ? hook * 100 / busy : 0)
			printf "%s", hs
		}'
	echo "# -- call graph of the hottest symbols --"
	perf report -i "$1" --stdio --no-children --sort sym -G \
		--percent-limit 4 2>/dev/null | grep -v '^$' | grep -v '^#' | head -n 120
}

# perf from bench/run's --add of the host's perf and its libraries
if [ -x /add/perf-root/perf ]; then
	perf() {
		LD_LIBRARY_PATH=/add/perf-root/lib${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH} \
			/add/perf-root/perf "$@"
	}
fi

do_profile() {
	command -v perf >/dev/null || fail "no perf in the guest (bench/run --profile adds it)"
	echo 0 >/proc/sys/kernel/kptr_restrict 2>/dev/null || :
	echo -1 >/proc/sys/kernel/perf_event_paranoid 2>/dev/null || :
	sec=$runtime
	rec="perf record -q -a -g -e cpu-clock -F 2000 -o $W/perf.data"
	case $profile in
	hook-unloaded | hook-idle | hook-session)
		hook_devs
		hook_state "${profile#hook-}"
		$rec -- fio --name=b --filename=/dev/jfhook --rw=randwrite --bs=4k \
			--iodepth=32 --ioengine=libaio --direct=1 --time_based \
			--runtime="$sec" --norandommap >/dev/null 2>&1
		hook_end "${profile#hook-}"
		;;
	lib)
		hook_devs
		jf_load
		$rec -- jfbench-lib -d 32 -s 4096 -r "$sec" /dev/jfhook
		;;
	fio-uring)
		hook_devs
		jf_load
		$rec -- fio --name=b --filename=/dev/jfhook --rw=randwrite --bs=4k \
			--iodepth=32 --ioengine=io_uring --direct=1 --time_based \
			--runtime="$sec" --norandommap --gtod_reduce=1 \
			--output-format=terse --terse-version=3 | cut -d';' -f49
		;;
	multi)
		multi_devs
		jf_load
		$rec -- jfbench cycles -n 20 -H 10 -g 50 "jf:n64:$(devlist 64)" |
			tail -n 3
		;;
	freeze-*)
		# a latency, mostly spent sleeping: where the time goes comes
		# from the function graph tracer, not from perf samples
		setup_stacks
		stack_vars "${profile#freeze-}"
		freeze_graph "jf:jetfreeze:$dm@0,$disk@1"
		freeze_graph "jf:jetfreeze-disk:$disk"
		return 0
		;;
	*) fail "unknown profile '$profile'" ;;
	esac
	perf_report "$W/perf.data"
}

# freeze_graph METHOD: 20 freezes under load and the function graph
# tracer; the mean time of jf_drain's steps, and of the FREEZE ioctl around
# them.  The tracer goes on and off while nothing writes: switching it
# patches the kernel's text (see the hook item).
freeze_graph() {
	echo 0 >$TRACING/tracing_on
	echo >$TRACING/trace
	echo 16384 >$TRACING/buffer_size_kb
	echo 2 >$TRACING/max_graph_depth
	printf 'jf_drain\njf_devs_attach\njf_dev_release\n' >$TRACING/set_graph_function
	echo function_graph >$TRACING/current_tracer
	echo funcgraph-tail >$TRACING/trace_options 2>/dev/null || :
	load_start "$mnt/f"
	echo 1 >$TRACING/tracing_on
	jfbench cycles -n 20 -H 50 -g 150 "$1" >"$W/graph.out"
	echo 0 >$TRACING/tracing_on
	load_stop
	echo "# $1: 20 freezes under load; mean per freeze of what jf_drain does:"
	awk '
	{
		d = ""
		for (i = 1; i < NF; i++)
			if ($i ~ /^[0-9]+\.[0-9]+$/ && $(i + 1) == "us") {
				d = $i
				break
			}
		if (d == "")
			next
		if (match($0, /[a-z_0-9.]+\(\);/))
			f = substr($0, RSTART, RLENGTH - 3)
		else if (match($0, /\/\* [a-z_0-9.]+/))
			f = substr($0, RSTART + 3, RLENGTH - 3)
		else
			next
		t[f] += d
		n[f]++
	}
	END {
		for (f in t)
			printf "#   %-36s %6d calls %12.1f us total %10.1f us per freeze\n", f, n[f], t[f], t[f] / 20
	}' $TRACING/trace | sort -k5 -rn
	awk '{ for (i = 1; i <= NF; i++) if ($i ~ /^freeze_us=/) { split($i, a, "="); s += a[2]; n++ } }
		END { if (n) printf "#   %-36s %6d calls %12.1f us total %10.1f us per freeze\n", "(FREEZE ioctl, from jfbench)", n, s, s / n }' "$W/graph.out"
	echo nop >$TRACING/current_tracer
	echo >$TRACING/set_graph_function
	echo >$TRACING/trace
}

# ---- main --------------------------------------------------------------

# Sourced with BENCH_NO_MAIN=1: only the functions (for debugging).
if [ "${BENCH_NO_MAIN:-0}" = 1 ]; then
	return 0
fi

echo "@R item=env kernel=$(uname -r) cpus=$(nproc) mem_mib=$(awk '/MemTotal/ { print int($2 / 1024) }' /proc/meminfo) smoke=$smoke cycles=$cycles floor=$floor_n rounds=$rounds runtime=$runtime"
setup_common
if [ -n "$profile" ]; then
	do_profile
	exit 0
fi
if has freeze || has floor || has reads; then
	setup_stacks
fi
for it in freeze floor reads hook lib multi release; do
	# The rest switches the module in and out: no filesystem that could
	# write meanwhile.
	[ "$it" = hook ] && teardown_stacks
	if has "$it"; then
		t0=$(cut -d' ' -f1 /proc/uptime)
		"item_$it"
		echo "@R item=time what=$it sec=$(awk -v a="$t0" -v b="$(cut -d' ' -f1 /proc/uptime)" 'BEGIN { printf "%.1f", b - a }')"
	fi
done
echo "@R item=done"
