# libjetfreeze without the module: kernel mode refuses Freeze with
# JET_errOSSnapshotNotAllowed (-2403) and says why; userspace-only mode
# holds the engine's own writes and lets them land after Thaw.
. ./lib.sh

mkfs_mount /dev/vdb /mnt/lib || { not_ok "ext4 on vdb"; exit 0; }
rmmod jetfreeze || { not_ok "rmmod jetfreeze"; exit 0; }

JETFREEZE_DEBUG=1 jftest-lib-engine -b 8 /mnt/lib/db.edb >"$T/out" 2>"$T/err"
check "kernel mode: Freeze fails with -2403" grep -q '^freeze=-2403 ' "$T/out"
check "and the log says why" grep -q 'is the jetfreeze module loaded' "$T/err"

jftest-lib-engine -m userspace -p -b 32 /mnt/lib/db.edb >"$T/out2" 2>&1
check "userspace mode: Freeze" grep -q '^freeze=0 ' "$T/out2"
check "writes in flight drained" grep -q '^drained=yes' "$T/out2"
check "the engine's writes were held" grep -q '^frozen_writes_completed=0 ' "$T/out2"
check "and landed after Thaw" sh -c "grep -q '^thaw=0$' $T/out2 && grep -q '^verify=ok' $T/out2"
check "minidb in userspace mode" jftest-lib-minidb --userspace --seconds 0 /mnt/lib
umount /mnt/lib
modprobe jetfreeze
