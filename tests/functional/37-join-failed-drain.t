# A freeze that joins a device another freeze is draining, when that
# other freeze fails (here it is killed), drains the device itself: it
# does not fail with the other's error.
. ./lib.sh

dev=$(nullb_new jfail memory_backed=1 irqmode=2 completion_nsec=3000000000 size=64 blocksize=4096) ||
	{ not_ok "null_blk with slow completions"; exit 0; }
bg_write w "$dev" 0
sleep 0.3
jftest hold -w 100 "$dev" >"$T/a.out" &
a=$!
sleep 0.3
jftest hold -w 100 "$dev" >"$T/b.out" &
b=$!
sleep 0.3
kill -9 $a
wait $b
check "the joiner froze the device itself ($(head -n 1 "$T/b.out"))" grep -q '^freeze=ok' "$T/b.out"
check "after the write drained" wait_for 10 finished_ok w
nullb_del jfail
