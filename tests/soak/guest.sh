#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-only
#
# tests/soak/guest.sh [--scale PERCENT] [PART...]: the soak, in the VM
# (tests/soak/run boots it).  Parts: cycles kills fuzz removal (default
# all).  Each prints "@S part=NAME key=value..." figures, "not ok" lines
# for what went wrong, and ends with "@S done".  --scale runs that share
# of each count (100: the figures of Documentation/reliability.md).

# the VM suite's helpers (T, wait_for, nullb_new, bg_write...)
. /add/functional/lib.sh

scale=100
while [ $# -gt 0 ]; do
	case $1 in
	--scale) scale=$2; shift 2 ;;
	*) break ;;
	esac
done
[ $# -gt 0 ] || set -- cycles kills fuzz removal
n() { echo $(($1 * scale / 100 > 0 ? $1 * scale / 100 : 1)); }

say() { echo "# $(date +%T) $*"; }
bad=0
fail() { echo "not ok - soak: $*"; bad=$((bad + 1)); }

# nothing left frozen (an ended PERSIST hold's report may stay)
none_frozen() { ! jftest status | grep -q ' state=1 '; }
check_clean() {
	wait_for 30 none_frozen || fail "$1: something stayed frozen: $(jftest status | head -n 3)"
}

# ---- 1. freeze/thaw cycles under fio writing with verify ---------------
part_cycles() {
	cycles=$(n 10000)
	size=$(blockdev --getsz /dev/vdb)
	echo "0 $size linear /dev/vdb 0" | dmsetup create soak || { fail "dm-linear"; return; }
	dm=$(dm_node soak)
	mkfs_mount "$dm" /mnt/soak || { fail "ext4"; return; }
	say "cycles: $cycles freeze/thaw of $dm and vdb under fio randwrite with verify"
	rm -f "$T/fio.stop"
	# fio jobs one after another: each writes its file at random with
	# crc32c headers, verifying as it goes and all of it at the end
	(
		j=0
		while [ ! -f "$T/fio.stop" ]; do
			fio --name=soak$j --filename=/mnt/soak/f --size=64M --bs=4k \
				--rw=randwrite --ioengine=libaio --iodepth=16 --direct=1 \
				--verify=crc32c --verify_backlog=512 --verify_fatal=1 \
				--do_verify=1 >"$T/fio.$j.out" 2>&1
			echo "$?" >"$T/fio.$j.rc"
			j=$((j + 1))
		done
		echo $j >"$T/fio.jobs"
	) &
	fio_loop=$!
	sleep 2
	t0=$(now_ms)
	jfbench cycles -n "$cycles" -H 10 -g 10 -t 10000 "jf:soak:$dm@0,/dev/vdb@1" \
		>"$T/cycles.out" 2>"$T/cycles.err"
	rc=$?
	t1=$(now_ms)
	touch "$T/fio.stop"
	wait $fio_loop
	done_cycles=$(grep -c 'method=soak' "$T/cycles.out")
	broken=$(grep -c 'broken=[1-9]' "$T/cycles.out")
	jobs=$(cat "$T/fio.jobs")
	fio_bad=0
	mism=0
	for f in "$T"/fio.*.rc; do
		[ "$(cat "$f")" = 0 ] || fio_bad=$((fio_bad + 1))
	done
	mism=$(cat "$T"/fio.*.out | grep -ci 'verify.*\(bad\|fail\|mismatch\)\|crc32c.*wanted')
	held=$(sed -n 's/.*held_bios=\([0-9]*\).*/\1/p' "$T/cycles.out" | awk '{ s += $1 } END { print s + 0 }')
	echo "@S part=cycles cycles=$done_cycles of=$cycles rc=$rc broken=$broken fio_jobs=$jobs fio_failed=$fio_bad mismatches=$mism held_writes=$held minutes=$(((t1 - t0) / 60000))"
	[ "$rc" = 0 ] && [ "$done_cycles" = "$cycles" ] || fail "cycles: $done_cycles of $cycles (exit $rc: $(tail -c 200 "$T/cycles.err"))"
	[ "$fio_bad" = 0 ] && [ "$mism" = 0 ] || fail "cycles: $fio_bad fio jobs failed, $mism verify errors: $(grep -il verify "$T"/fio.*.out | head -n 3)"
	[ "$broken" = 0 ] || fail "cycles: $broken holds broke"
	umount /mnt/soak
	dmsetup remove soak
	check_clean cycles
}

# ---- 2. SIGKILL of holders at random moments --------------------------
part_kills() {
	kills=$(n 1000)
	say "kills: $kills holders killed at random moments, mid-drain and mid-release included"
	# slow completions, so that drains and releases take a while; writes
	# go on all along
	dev=$(nullb_new soakkill memory_backed=1 irqmode=2 completion_nsec=20000000 hw_queue_depth=4 size=64 blocksize=4096) ||
		{ fail "null_blk"; return; }
	rm -f "$T/w.stop"
	(
		i=0
		while [ ! -f "$T/w.stop" ]; do
			jftest write -d -c 4 "$dev" $(((i % 1000) * 16384)) >/dev/null 2>&1 &
			jftest write -d /dev/vdc $(((i % 1000) * 4096)) >/dev/null 2>&1 &
			i=$((i + 1))
			sleep 0.05
			[ $((i % 20)) = 0 ] && wait
		done
		wait
	) &
	writers=$!
	before=0 frozen=0 thawing=0 after=0 i=0
	while [ $i -lt "$kills" ]; do
		out=$T/k.out
		jftest hold -t 5000 -w $((rnd = $(od -An -N2 -tu2 /dev/urandom) % 120)) \
			-s 0 "$dev" -s 0 /dev/vdc >"$out" 2>&1 &
		h=$!
		sleep "0.$(printf '%03d' $(($(od -An -N2 -tu2 /dev/urandom) % 200)))"
		kill -9 $h 2>/dev/null
		wait $h 2>/dev/null
		if ! grep -q '^freeze=' "$out"; then
			before=$((before + 1))
		elif grep -q '^thaw=' "$out"; then
			after=$((after + 1))
		elif grep -q '^thawing' "$out"; then
			thawing=$((thawing + 1))
		else
			frozen=$((frozen + 1))
		fi
		i=$((i + 1))
		if [ $((i % 100)) = 0 ]; then
			wait_for 30 nothing_frozen || fail "kills: frozen after $i kills: $(jftest status | head -n 2)"
			timeout 30 jftest write -d "$dev" 0 >/dev/null || fail "kills: $dev did not come back after $i kills"
			timeout 30 jftest write -d /dev/vdc 0 >/dev/null || fail "kills: vdc did not come back after $i kills"
		fi
	done
	touch "$T/w.stop"
	wait $writers
	wait_for 30 nothing_frozen || fail "kills: something stayed frozen"
	unload=ok
	rmmod jetfreeze || { unload=failed; fail "kills: rmmod failed"; }
	modprobe jetfreeze
	echo "@S part=kills kills=$i before_freeze_returned=$before frozen=$frozen mid_thaw=$thawing after_thaw=$after devices_back=yes unload=$unload"
	nullb_del soakkill
}

# ---- 3. ioctl fuzzing, root and unprivileged -----------------------------
part_fuzz() {
	calls=$(n 1000000)
	say "fuzz: $calls ioctl calls, half as root, half without CAP_SYS_ADMIN"
	devs=
	for k in 1 2 3 4; do
		devs="$devs $(nullb_new fz$k memory_backed=1 size=16 blocksize=4096)" || { fail "null_blk"; return; }
	done
	# writes go on, so holds hold something
	rm -f "$T/w.stop"
	(while [ ! -f "$T/w.stop" ]; do
		for d in $devs; do jftest write -d "$d" 0 >/dev/null 2>&1 & done
		wait
	done) &
	writers=$!
	# shellcheck disable=SC2086
	jffuzz -n $((calls / 2)) -s 1 $devs >"$T/fuzz-root.out" 2>"$T/fuzz-root.err"
	r1=$?
	# shellcheck disable=SC2086
	jffuzz -n $((calls / 2)) -s 2 -u $devs >"$T/fuzz-user.out" 2>"$T/fuzz-user.err"
	r2=$?
	touch "$T/w.stop"
	wait $writers
	echo "@S part=fuzz who=root rc=$r1 $(cat "$T/fuzz-root.out")"
	echo "@S part=fuzz who=unprivileged rc=$r2 $(cat "$T/fuzz-user.out")"
	[ "$r1" = 0 ] || fail "fuzz as root: $(head -c 300 "$T/fuzz-root.err")"
	[ "$r2" = 0 ] || fail "fuzz unprivileged: $(head -c 300 "$T/fuzz-user.err")"
	wait_for 120 none_frozen || fail "fuzz: something stayed frozen: $(jftest status | head -n 3)"
	rmmod jetfreeze || fail "fuzz: rmmod failed"
	modprobe jetfreeze
	for k in 1 2 3 4; do nullb_del fz$k; done
}

# ---- 4. device removal during release -----------------------------------
part_removal() {
	rounds=$(n 200)
	say "removal: $rounds devices removed while releasing their held writes"
	eio=0 okw=0 r=0
	while [ $r -lt "$rounds" ]; do
		dev=$(nullb_new rm$r memory_backed=1 irqmode=2 completion_nsec=10000000 hw_queue_depth=2 size=16 blocksize=4096) ||
			{ fail "null_blk"; return; }
		jftest hold -t 30000 -r "$T/r" -u "$T/g" "$dev" >"$T/h.out" &
		h=$!
		wait_for 20 test -f "$T/r"
		bg_writes x 40 "$dev" 8192
		wait_for 20 held_at_least "$dev" 40
		touch "$T/g"
		sleep "0.$(printf '%03d' $(($(od -An -N2 -tu2 /dev/urandom) % 300)))"
		echo 0 >/sys/kernel/config/nullb/rm$r/power
		wait $h
		wait_for 30 all_finished $tags || fail "removal: round $r: held writes never finished"
		for t in $tags; do
			if [ "$(cat "$T/$t.rc" 2>/dev/null)" = 0 ]; then okw=$((okw + 1)); else eio=$((eio + 1)); fi
		done
		rm -f "$T/r" "$T/g" "$T"/x*.rc "$T"/x*.ms
		wait_for 10 nothing_frozen || fail "removal: round $r: something stayed frozen"
		rmdir /sys/kernel/config/nullb/rm$r
		r=$((r + 1))
	done
	rmmod jetfreeze || fail "removal: rmmod failed"
	modprobe jetfreeze
	echo "@S part=removal rounds=$r writes_landed=$okw writes_failed=$eio stuck=0"
}

for p in "$@"; do
	"part_$p"
done
echo "@S done failures=$bad"
[ "$bad" = 0 ]
