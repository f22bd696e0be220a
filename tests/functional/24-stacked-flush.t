# A flush carries no data and cannot change an image.  The flush a stacked
# device sends down to a device another session holds passes, so freezing
# the stacked device alone does not wait for that other hold.
. ./lib.sh

size=$(blockdev --getsz /dev/vdb)
echo "0 $size linear /dev/vdb 0" | dmsetup create jflin ||
	{ not_ok "dm-linear over vdb"; exit 0; }
dm=$(dm_node jflin)
jftest hold -t 30000 -r "$T/ra" -u "$T/ga" /dev/vdb >"$T/a.out" &
a=$!
wait_for 20 test -f "$T/ra"
param drain_timeout_sec 3
jftest hold -w 100 "$dm" >"$T/b.out"
check "freezing the dm device alone works while its disk is held ($(head -n 1 "$T/b.out"))" \
	grep -q '^freeze=ok' "$T/b.out"
param drain_timeout_sec 30
bg_write w "$dm" 0
check "a write to the dm device is held below" held w 0.5
touch "$T/ga"
wait $a
check "and lands once the disk is thawed" wait_for 10 finished_ok w
check "the disk's hold was not broken" grep -q "broken=0" "$T/a.out"
dmsetup remove jflin
