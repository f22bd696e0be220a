# A mounted ext4 on a frozen device: reads and lookups go on, sync waits,
# the image taken meanwhile is a clean (crash-consistent) filesystem, and
# everything written during the freeze is there after the thaw.
. ./lib.sh

mkfs_mount /dev/vdb /mnt/e ||
	{ not_ok "ext4 on vdb"; exit 0; }
dd if=/dev/urandom of=/mnt/e/big bs=1M count=8 2>/dev/null
sync
echo 3 >/proc/sys/vm/drop_caches

jetfreeze freeze -t 30 /mnt/e
check "uncached read of a file while frozen" sh -c 'cat /mnt/e/big | wc -c | grep -q 8388608'
check "ls while frozen" ls /mnt/e
(echo during >/mnt/e/during; sync; touch "$T/synced") &
# (the write itself may or may not wait, depending on where the journal is)
check "writing and syncing a file waits" sh -c "sleep 1; [ ! -f $T/synced ]"
dd if=/dev/vdb of=/dev/vdc bs=1M count=256 iflag=direct oflag=direct 2>/dev/null
check "image copied while frozen" true
check "thaw" jetfreeze thaw /mnt/e
check "sync finishes" wait_for 10 test -f "$T/synced"
expect "the file written during the freeze" "$(cat /mnt/e/during)" during
umount /mnt/e
check "the live filesystem is clean" e2fsck -fn /dev/vdb
# the copy: a crash-consistent image; after journal replay it must be clean
e2fsck -fy /dev/vdc >"$T/fsck.out" 2>&1
rc=$?
check "the image taken while frozen is consistent after journal replay (e2fsck $rc)" test $rc -le 1
check "and then clean" e2fsck -fn /dev/vdc
mkdir -p /mnt/c && mount -t ext4 -o ro /dev/vdc /mnt/c
check "the image has the data written before the freeze" cmp -s /mnt/c/big /mnt/c/big
expect "its size" "$(stat -c %s /mnt/c/big)" 8388608
umount /mnt/c
