# A released bio the block layer splits (here every 4 KiB: max_sectors 8)
# comes back through submit_bio_noacct() in pieces.  The pieces keep the
# released bio's place: they never go behind later writes, and a freeze
# that re-arms the device never holds them again.
. ./lib.sh

dev=$(nullb_new zsplit memory_backed=1 zoned=1 zone_size=4 max_sectors=8 size=64 blocksize=4096) ||
	{ not_ok "zoned null_blk"; exit 0; }
jftest hold -t 30000 -r "$T/r" -u "$T/g" "$dev" >"$T/h.out" &
h=$!
wait_for 20 test -f "$T/r"
bg_write z1 "$dev" 0 -s 65536
sleep 0.3
bg_write z2 "$dev" 65536 -s 65536
wait_for 10 held_at_least "$dev" 2
touch "$T/g"
wait $h
wait_for 20 all_finished z1 z2
check "the zone's writes land in order, none off the write pointer ($(cat "$T/z1.out" "$T/z2.out" | tr '\n' ' '))" \
	sh -c "[ \$(cat $T/z1.rc) = 0 ] && [ \$(cat $T/z2.rc) = 0 ]"
nullb_del zsplit

# re-armed: the ended hold's split writes are not held by the new hold
dev=$(nullb_new rsplit memory_backed=1 irqmode=2 completion_nsec=50000000 hw_queue_depth=1 max_sectors=8 size=64 blocksize=4096) ||
	{ not_ok "null_blk with one slow tag"; exit 0; }
jftest hold -t 30000 -r "$T/ra" -u "$T/ga" "$dev" >"$T/a.out" &
a=$!
wait_for 20 test -f "$T/ra"
bg_writes s 4 "$dev" 65536 -s 65536
wait_for 20 held_at_least "$dev" 4
touch "$T/ga"
sleep 0.2
jftest hold -t 20000 -w 4000 "$dev" >"$T/b.out" &
b=$!
wait $a
wait_for 30 all_finished $tags
last=$(latest_ms $tags)
wait $b
check "the split writes completed before the new freeze returned (last at $last, freeze returned at $(kv at freeze "$T/b.out"))" \
	test "$last" -le $(($(kv at freeze "$T/b.out") + 500))
check "the new hold held none of them" grep -q "held_bios=0" "$T/b.out"
nullb_del rsplit
