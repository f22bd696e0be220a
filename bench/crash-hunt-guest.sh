#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-only
#
# bench/crash-hunt-guest.sh SETUP REPS: in the VM, REPS repetitions of what
# the benchmarks ran when a 6.12 guest twice died with corrupted EFLAGS
# (Documentation/benchmarks.md): on ext4 on dm-linear on a null_blk with
# 1 ms completions, block tracepoints switched on, traced freezes under
# fio randwrite, tracepoints off, then the read item: fio aio randread
# QD32 while freezes of each method alternate with unfrozen windows.
#
# SETUP: unloaded (no jetfreeze module: fsfreeze and dm suspend only),
# noredirect (loaded, its ftrace callback runs but redirects nothing),
# normal.  Prints "@H rep=N done" after each repetition.
set -u
JF_TEST=crashhunt
. /add/functional/lib.sh

setup=$1 reps=$2
TRACING=/sys/kernel/tracing
[ -d $TRACING/events ] || TRACING=/sys/kernel/debug/tracing
echo 1048576 >/proc/sys/fs/aio-max-nr

case $setup in
unloaded) rmmod jetfreeze 2>/dev/null ;;
noredirect) echo 1 >/sys/kernel/debug/jetfreeze/no_redirect || exit 1 ;;
normal) ;;
*) echo "unknown setup $setup" >&2; exit 2 ;;
esac

modprobe ext4
dev=$(nullb_new jfslow memory_backed=1 size=512 irqmode=2 completion_nsec=1000000) || exit 1
echo "0 $(blockdev --getsz "$dev") linear $dev 0" | dmsetup create jfbn || exit 1
dm=$(dm_node jfbn)
mkfs.ext4 -q -F -E lazy_itable_init=0,lazy_journal_init=0 "$dm" >/dev/null 2>&1 || exit 1
mkdir -p /mnt/n
mount -t ext4 -o noatime "$dm" /mnt/n || exit 1
dd if=/dev/zero of=/mnt/n/f bs=1M count=256 oflag=direct 2>/dev/null
sync

if [ "$setup" = unloaded ]; then
	traced="fs:fsfreeze:/mnt/n"
	methods="fs:fsfreeze:/mnt/n dm:dmsuspend:jfbn"
else
	traced="jf:jetfreeze:$dm@0,$dev@1"
	methods="jf:jetfreeze:$dm@0,$dev@1 fs:fsfreeze:/mnt/n dm:dmsuspend:jfbn"
fi
dt=$(stat -L -c '%t %T' "$dev" | { read -r a b; echo $(((0x$a << 20) | 0x$b)); })

r=1
while [ $r -le "$reps" ]; do
	# tracepoints on while nothing writes (text patching under load hangs TCG)
	echo 8192 >$TRACING/buffer_size_kb
	for e in block_rq_insert block_rq_issue block_rq_complete; do
		echo "dev == $dt" >$TRACING/events/block/$e/filter
		echo 1 >$TRACING/events/block/$e/enable
	done
	fio --name=load --filename=/mnt/n/f --rw=randwrite --bs=4k --iodepth=32 \
		--ioengine=libaio --direct=1 --time_based --runtime=100000 >/dev/null 2>&1 &
	load=$!
	sleep 1
	echo 1 >$TRACING/tracing_on
	# shellcheck disable=SC2086
	jfbench cycles -n 3 -m -H 50 -g 300 $traced >/dev/null || echo "# traced cycles failed"
	echo 0 >$TRACING/tracing_on
	kill -INT $load
	wait $load
	for e in block_rq_insert block_rq_issue block_rq_complete; do
		echo 0 >$TRACING/events/block/$e/enable
		echo 0 >$TRACING/events/block/$e/filter
	done
	echo >$TRACING/trace
	# the read item
	fio --name=reads --filename=/mnt/n/f --rw=randread --bs=4k --iodepth=32 \
		--ioengine=libaio --direct=1 --time_based --runtime=100000 \
		--readonly --norandommap >/dev/null 2>&1 &
	rd=$!
	sleep 1
	# shellcheck disable=SC2086
	jfbench cycles -n 3 -H 1000 -g 1200 -t 60000 -R "/sys/block/${dm#/dev/}/stat" \
		$methods >/dev/null || echo "# read cycles failed"
	kill -INT $rd
	wait $rd
	echo "@H rep=$r done"
	r=$((r + 1))
done
umount /mnt/n
dmsetup remove jfbn
