# Device-mapper: writes coming down from a dm device onto a frozen disk are
# held; a frozen dm device holds its own writes while the disk below stays
# free; the CLI freezes a dm device together with what lies below it.
. ./lib.sh

two_partitions /dev/vdb || { not_ok "partition vdb"; exit 0; }
size=$(blockdev --getsz /dev/vdb1)
echo "0 $size linear /dev/vdb1 0" | dmsetup create jflin || { not_ok "dm-linear"; exit 0; }
dm=$(dm_node jflin)

# frozen below: the partition under the dm device
jftest hold -t 30000 -r "$T/r1" -u "$T/g1" /dev/vdb1 >"$T/h1.out" &
h=$!
wait_for 20 test -f "$T/r1"
bg_write via_dm "$dm" 0
check "write through dm onto the frozen partition is held" held via_dm 1
check "read through dm passes" jftest read -d "$dm" 0
touch "$T/g1"; wait "$h"
check "it lands after the thaw" wait_for 10 finished_ok via_dm

# frozen above: the dm device only
jftest hold -t 30000 -r "$T/r2" -u "$T/g2" "$dm" >"$T/h2.out" &
h=$!
wait_for 20 test -f "$T/r2"
bg_write dm_top "$dm" 4096
bg_write under /dev/vdb1 1048576
check "write to the frozen dm device is held" held dm_top 1
check "write to the device below passes" wait_for 5 finished_ok under
touch "$T/g2"; wait "$h"
check "dm write lands after the thaw" wait_for 10 finished_ok dm_top

# the CLI: a dm device and everything under it, in stages
jetfreeze freeze -t 20 "$dm"
jftest status >"$T/st"
expect "freeze of a dm device covers it and the partition below" "$(wc -l <"$T/st")" 2
check "the dm device in stage 0" grep -q "stage=0" "$T/st"
check "the partition in stage 1" grep -q "stage=1" "$T/st"
bg_write both /dev/vdb1 2097152
check "the partition below is held too" held both 1
check "thaw" jetfreeze thaw "$dm"
check "held write lands" wait_for 10 finished_ok both
dmsetup remove jflin
