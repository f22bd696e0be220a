# A freeze that starts while a device still releases the writes of an
# ended hold lets those writes out first and waits for them, as for any
# write in flight; it never holds them again.
. ./lib.sh

# one request at a time, 100 ms each: 30 held writes take 3 s to release
dev=$(nullb_new rearm memory_backed=1 irqmode=2 completion_nsec=100000000 hw_queue_depth=1 size=64 blocksize=4096) ||
	{ not_ok "null_blk with one slow tag"; exit 0; }
jftest hold -t 30000 -r "$T/ra" -u "$T/ga" "$dev" >"$T/a.out" &
a=$!
wait_for 20 test -f "$T/ra"
bg_writes w 30 "$dev" 4096
check "30 writes held" wait_for 20 held_at_least "$dev" 30
touch "$T/ga"
sleep 0.5
# B freezes while A's writes are still being released
jftest hold -t 20000 -w 5000 "$dev" >"$T/b.out" &
b=$!
wait $a
wait_for 30 all_finished $tags
frozen_at=$(kv at freeze "$T/b.out")
last=$(latest_ms $tags)
check "every write of the ended hold completed before the new freeze returned (last at $last, freeze returned at $frozen_at)" \
	test "$last" -le $((${frozen_at:-0} + 500))
wait $b
check "the new hold held none of them" grep -q "held_bios=0" "$T/b.out"
nullb_del rearm
