# libjetfreeze: while frozen the devices under the engine's files do not
# change, although the engine keeps writing; after Thaw every write it
# issued while frozen is on disk with the right data, across a remount.
#
# With a filesystem the disk is checked on the host's side (its image read
# twice): in the guest, an O_DIRECT read of a block device first writes
# back the device's dirty page cache (ext4 metadata lives there), and that
# writeback is held like any write, so the read would wait for the thaw.
# Without a filesystem (the engine's file is the raw disk) the guest reads
# the disk twice itself.  The 128 MiB NVMe disk reads in a few seconds
# under TCG.
. ./lib.sh

# --- files on ext4 -----------------------------------------------------------
mkfs_mount /dev/vdb /mnt/lib || { not_ok "ext4 on vdb"; exit 0; }
files="-l /mnt/lib/edb.log /mnt/lib/db1.edb /mnt/lib/db2.edb"

host_twice() {
	h1=$(host_sha vdb)
	sleep 1
	h2=$(host_sha vdb)
}
# shellcheck disable=SC2086
engine_frozen host_twice -b 256 $files

check "Freeze succeeded" grep -q '^freeze=0 ' "$T/out"
check "the disk (host image) did not change while frozen" test -n "$h1" -a "$h1" = "$h2"
check "the engine's writes were held" grep -q '^frozen_writes_completed=0 ' "$T/out"
check "Thaw" grep -q '^thaw=0$' "$T/out"
check "every write issued while frozen landed" grep -q '^verify=ok' "$T/out"
check "End" grep -q '^end=0$' "$T/out"
umount /mnt/lib
check "the filesystem is clean" fsck.ext4 -fn /dev/vdb
mount -t ext4 /dev/vdb /mnt/lib
# shellcheck disable=SC2086
check "the data is on disk (checked again after a remount)" \
	jftest-lib-engine -V 2 -b 256 $files
umount /mnt/lib

# --- the raw disk as the engine's file -----------------------------------------
guest_and_host_twice() {
	t0=$(now_ms)
	s1=$(dd if=/dev/nvme0n1 iflag=direct bs=1M 2>/dev/null | sha256sum)
	sleep 1
	s2=$(dd if=/dev/nvme0n1 iflag=direct bs=1M 2>/dev/null | sha256sum)
	h1=$(host_sha nvme)
	h2=$(host_sha nvme)
	echo "# two reads of the frozen disk: $(($(now_ms) - t0)) ms"
}
h1= h2=
engine_frozen guest_and_host_twice -b 256 /dev/nvme0n1
check "raw disk: Freeze" grep -q '^freeze=0 ' "$T/out"
check "raw disk: read twice in the guest while frozen, unchanged" test -n "$s1" -a "$s1" = "$s2"
check "raw disk: and on the host" test -n "$h1" -a "$h1" = "$h2"
check "raw disk: the engine's writes were held" grep -q '^frozen_writes_completed=0 ' "$T/out"
check "raw disk: Thaw and every write landed" sh -c "grep -q '^thaw=0$' $T/out && grep -q '^verify=ok' $T/out"
check "raw disk: on disk" jftest-lib-engine -V 2 -b 256 /dev/nvme0n1
check "nothing frozen" nothing_frozen
