# libjetfreeze: one instance with files on a partition, on a dm device and
# on another disk: one kernel hold over exactly the devices under them,
# the dm device above its disk.
. ./lib.sh

two_partitions /dev/vdb || { not_ok "partition vdb"; exit 0; }
size=$(blockdev --getsz /dev/vdc)
echo "0 $size linear /dev/vdc 0" | dmsetup create jfliblin || { not_ok "dm-linear"; exit 0; }
dm=$(dm_node jfliblin)
mkfs_mount /dev/vdb1 /mnt/p1 && mkfs_mount "$dm" /mnt/dm &&
	mkfs_mount /dev/nvme0n1 /mnt/nv || { not_ok "filesystems"; exit 0; }

status() { jftest status >"$T/st"; }
engine_frozen status -b 32 -l /mnt/nv/edb.log /mnt/p1/a.edb /mnt/dm/b.edb

dev() { cat "/sys/class/block/$(basename "$1")/dev"; }
expect "one kernel hold" "$(awk '{ print $1 }' "$T/st" | sort -u | wc -l)" 1
expect "over four devices" "$(wc -l <"$T/st")" 4
check "the partition" grep -q "dev=$(dev /dev/vdb1) " "$T/st"
check "the dm device, stage 0" grep -q "dev=$(dev "$dm") .*stage=0" "$T/st"
check "the disk under it, stage 1" grep -q "dev=$(dev /dev/vdc) .*stage=1" "$T/st"
check "the other disk" grep -q "dev=$(dev /dev/nvme0n1) " "$T/st"
check "not the sibling partition" sh -c "! grep -q 'dev=$(dev /dev/vdb2) ' $T/st"
check "Freeze listed both databases" sh -c "grep -q '^db=/mnt/p1/a.edb$' $T/out && grep -q '^db=/mnt/dm/b.edb$' $T/out"
check "Thaw" grep -q '^thaw=0$' "$T/out"
check "every write landed" grep -q '^verify=ok' "$T/out"
umount /mnt/p1 /mnt/dm /mnt/nv
dmsetup remove jfliblin
check "nothing frozen" nothing_frozen
