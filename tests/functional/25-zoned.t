# Thawing keeps the order of writes: those submitted after the thaw never
# overtake the held ones.  On a zoned device an overtaking write lands off
# the zone's write pointer and fails, so fio writing sequentially into the
# zones, with thousands of writes held when the hold ends, must see no
# error.
. ./lib.sh

dev=$(nullb_new zoned memory_backed=1 zoned=1 zone_size=256 size=512 blocksize=4096 hw_queue_depth=64) ||
	{ not_ok "zoned null_blk"; exit 0; }
name=$(basename "$dev")
[ "$(cat /sys/block/$name/queue/zoned)" = host-managed ] ||
	{ not_ok "$dev is not zoned"; nullb_del zoned; exit 0; }
# zoned writes need a scheduler that keeps them in order on 6.1
grep -q mq-deadline /sys/block/$name/queue/scheduler &&
	echo mq-deadline >/sys/block/$name/queue/scheduler 2>/dev/null

jftest hold -t 60000 -r "$T/r" -u "$T/g" "$dev" >"$T/h.out" &
h=$!
wait_for 20 test -f "$T/r"
fio --name=zoned --filename="$dev" --direct=1 --ioengine=libaio --iodepth=8192 \
	--iodepth_batch_submit=256 --iodepth_batch_complete_max=256 \
	--zonemode=zbd --rw=write --bs=4k --size=400M --max_open_zones=8 \
	>"$T/fio.out" 2>&1 &
fio=$!
check "thousands of zoned writes held" wait_for 60 held_at_least "$dev" 8000
held=$(held_on "$dev")
touch "$T/g"
wait $h
wait $fio
rc=$?
check "fio wrote on after the thaw with $held writes released, no error (exit $rc: $(grep -m1 -i 'err' "$T/fio.out"))" test $rc = 0
check "the hold was not broken" grep -q "broken=0" "$T/h.out"
nullb_del zoned
