# A device whose release is still running when a freeze re-arms it and
# then fails (here: its drain times out behind the slow release) starts
# releasing again.  It must leave the table once, not twice: a second
# leave would drop the count of held devices under another session's hold
# and let that hold's writes through.
. ./lib.sh

dev=$(nullb_new dbl memory_backed=1 irqmode=2 completion_nsec=100000000 hw_queue_depth=1 size=64 blocksize=4096) ||
	{ not_ok "null_blk with one slow tag"; exit 0; }
# C holds vdc all along
jftest hold -t 60000 -r "$T/rc" -u "$T/gc" /dev/vdc >"$T/c.out" &
c=$!
wait_for 20 test -f "$T/rc"
jftest hold -t 30000 -r "$T/ra" -u "$T/ga" "$dev" >"$T/a.out" &
a=$!
wait_for 20 test -f "$T/ra"
bg_writes w 30 "$dev" 8192
wait_for 20 held_at_least "$dev" 30
touch "$T/ga"
sleep 0.3
param drain_timeout_sec 1
jftest hold -w 100 "$dev" >"$T/b.out"
param drain_timeout_sec 30
check "a freeze behind the slow release times out ($(head -n 1 "$T/b.out"))" \
	grep -q '^freeze=ETIMEDOUT' "$T/b.out"
wait $a
check "the ended hold's writes land" wait_for 20 all_finished $tags
sleep 1
bg_write v /dev/vdc 0
check "vdc is still held by C" held v 1
touch "$T/gc"
wait $c
check "C's report: not broken" grep -q "broken=0" "$T/c.out"
check "its write lands at the thaw" wait_for 10 finished_ok v
nullb_del dbl
check "nothing left to unload but the module" rmmod jetfreeze
modprobe jetfreeze
