# Copy-on-write snapshots when things go wrong, and a writable image: a
# failing diff storage (dm-error) fails the snapshot while origin writes
# and fio verify stay clean; a killed holder and a removed origin leave
# nothing behind; a writable image of a mounted, busy ext4 replays its
# journal, mounts, and checks clean.
. ./lib.sh

img_of() { sed -n 's/^image [0-9:]* \([^ ]*\) .*/\1/p' "$1" | head -n 1; }
list_has() { jftest snap-list | grep -q "$1"; }

# a diff storage whose every I/O fails
modprobe dm_mod 2>/dev/null
dmsetup create jfbad --table "0 131072 error"
bad=$(dm_node jfbad)
fio --name=v --filename=/dev/vdb --rw=randwrite --bs=4k --direct=1 \
	--ioengine=libaio --iodepth=8 --size=64M --verify=crc32c \
	--verify_backlog=128 --verify_fatal=1 --time_based --runtime=3600 \
	--output="$T/fio.out" >/dev/null 2>&1 &
fio=$!
sleep 1
jftest snap -D "$bad" -n bad -u "$T/g1" /dev/vdb >"$T/s1.out" 2>&1 &
s1=$!
wait_for 20 grep -q '^snap=' "$T/s1.out"
check "a snapshot on a failing diff storage is made" grep -q '^snap=ok name=bad' "$T/s1.out"
image=/dev/$(img_of "$T/s1.out")
check "it fails at its first copy, with EIO" wait_for 20 list_has 'snap=bad .*state=2 error=5 '
sleep 3
check "fio goes on" kill -0 "$fio"
kill -INT "$fio"
wait "$fio"
check "fio reports no error" grep -q "err= 0" "$T/fio.out"
check "fio verified without error" sh -c "! grep -qi 'verify.*fail\|bad magic\|crc32c: verify' $T/fio.out"
wait_for 10 test -b "$image"
check "the image fails with EIO" sh -c "! dd if=$image of=/dev/null bs=64k count=1 iflag=direct 2>/dev/null"
touch "$T/g1"
wait $s1
check "and goes with its file" wait_for 10 sh -c "! jftest snap-list | grep -q snap=bad"
dmsetup remove jfbad

# a diff storage that stops answering: the copy is bounded like a drain,
# then the snapshot fails and the waiting writes go on
dd if=/dev/zero of=/dev/vdc bs=1M count=1 oflag=direct 2>/dev/null
dmsetup create jfslow --table "0 131072 linear /dev/vdc 0"
slow=$(dm_node jfslow)
param drain_timeout_sec 3
jftest snap -D "$slow" -n slow -u "$T/g6" /dev/vdb >"$T/s6.out" 2>&1 &
s6=$!
wait_for 20 grep -q '^image ' "$T/s6.out"
dmsetup suspend jfslow
t0=$(now_ms)
dd if=/dev/urandom of=/dev/vdb bs=4096 count=1 seek=3 oflag=direct 2>/dev/null
rc=$?
took=$(($(now_ms) - t0))
check "an origin write waits for a stuck copy a bounded time ($took ms, exit $rc)" test $rc = 0 -a $took -lt 20000
check "the snapshot failed with ETIMEDOUT" list_has 'snap=slow .*state=2 error=110 '
dmsetup resume jfslow
touch "$T/g6"
wait $s6
dmsetup remove jfslow
param drain_timeout_sec 30

# swap on an origin: swap writes cannot wait for copies, so they fail the
# snapshot rather than change its image unseen
cg=/sys/fs/cgroup
mount -t cgroup2 none $cg 2>/dev/null
echo +memory >$cg/cgroup.subtree_control 2>/dev/null
if mkdir -p $cg/jfsnapswap && echo 16M >$cg/jfsnapswap/memory.max; then
	jftest snap -D /dev/vdb -n swap -u "$T/g7" /dev/vdc >"$T/s7.out" 2>&1 &
	s7=$!
	wait_for 20 grep -q '^image ' "$T/s7.out"
	mkswap /dev/vdc >/dev/null 2>&1 && swapon /dev/vdc
	timeout 60 sh -c "echo \$\$ >$cg/jfsnapswap/cgroup.procs &&
		exec jftest hog 48" >/dev/null 2>&1
	check "swap written to an origin fails its snapshot" wait_for 10 list_has 'snap=swap .*state=2 error=26 '
	swapoff /dev/vdc
	touch "$T/g7"
	wait $s7
	rmdir $cg/jfsnapswap 2>/dev/null
else
	skip "swap on an origin" "no memory cgroup"
fi

# the holder killed: the snapshot goes, writes flow
jftest snap -D /dev/vdc -n killed -u "$T/never" /dev/vdb >"$T/s2.out" 2>&1 &
s2=$!
wait_for 20 grep -q '^image ' "$T/s2.out"
dd if=/dev/urandom of=/dev/vdb bs=1M count=4 oflag=direct 2>/dev/null
kill -9 $s2
wait $s2 2>/dev/null
check "a SIGKILLed holder's snapshot is deleted" wait_for 10 sh -c "[ -z \"\$(jftest snap-list)\" ]"
check "origin writes flow after" sh -c "dd if=/dev/urandom of=/dev/vdb bs=1M count=4 oflag=direct 2>/dev/null"

# the origin removed: the snapshot fails, delete works, nothing hangs
dev=$(nullb_new jfsnapo size=64 memory_backed=1 blocksize=512)
dd if=/dev/urandom of="$dev" bs=1M count=8 oflag=direct 2>/dev/null
jftest snap -D /dev/vdc -n gone -u "$T/g3" "$dev" >"$T/s3.out" 2>&1 &
s3=$!
wait_for 20 grep -q '^image ' "$T/s3.out"
image=/dev/$(img_of "$T/s3.out")
wait_for 10 test -b "$image"
dd if=/dev/urandom of="$dev" bs=64k count=4 oflag=direct 2>/dev/null
nullb_del jfsnapo
check "a removed origin fails its snapshot (ENODEV)" wait_for 10 list_has 'snap=gone .*state=2 error=19 '
check "its image fails with EIO" sh -c "! dd if=$image of=/dev/null bs=4096 count=1 iflag=direct 2>/dev/null"
touch "$T/g3"
wait $s3
check "it is deleted with its file" wait_for 10 sh -c "[ -z \"\$(jftest snap-list)\" ]"

# a writable image of a busy, mounted ext4: journal replay, mount, fsck
mkfs_mount /dev/vdb "$T/m"
(
	i=0
	while [ ! -f "$T/stop" ]; do
		dd if=/dev/urandom of="$T/m/f$((i % 20))" bs=64k count=4 conv=fsync 2>/dev/null
		i=$((i + 1))
	done
) &
w=$!
sleep 2
jftest snap -W -D /dev/vdc -n rw -u "$T/g4" /dev/vdb >"$T/s4.out" 2>&1 &
s4=$!
wait_for 20 grep -q '^image ' "$T/s4.out"
image=/dev/$(img_of "$T/s4.out")
wait_for 10 test -b "$image"
sleep 1
touch "$T/stop"
wait $w
mkdir -p "$T/i"
check "the writable image mounts (journal replayed)" mount -t ext4 "$image" "$T/i"
check "its files read back" sh -c "cat $T/i/f* >/dev/null"
umount "$T/i"
check "and it checks clean" fsck.ext4 -fn "$image"
check "the origin still checks clean after umount" sh -c "umount $T/m && fsck.ext4 -fn /dev/vdb"
touch "$T/g4"
wait $s4
ro=$(jftest snap -D /dev/vdc -n ro -u "$T/g5" /dev/vdb >"$T/s5.out" 2>&1 &
	echo $!)
wait_for 20 grep -q '^image ' "$T/s5.out"
image=/dev/$(img_of "$T/s5.out")
wait_for 10 test -b "$image"
check "a read-only image refuses writes" sh -c "! dd if=/dev/zero of=$image bs=4096 count=1 oflag=direct 2>/dev/null"
touch "$T/g5"
wait $ro 2>/dev/null
check "nothing is left" wait_for 10 sh -c "[ -z \"\$(jftest snap-list)\" ] && [ -z \"\$(jftest status)\" ]"
