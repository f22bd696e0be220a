# Freezes that share no device do not wait for each other: while one
# freeze waits for a slow write on its own device to drain, a freeze of an
# unrelated device completes at once.
. ./lib.sh

dev=$(nullb_new slowdrain memory_backed=1 irqmode=2 completion_nsec=3000000000 size=64 blocksize=4096) ||
	{ not_ok "null_blk with slow completions"; exit 0; }
bg_write s "$dev" 0
sleep 0.3
jftest hold -w 100 "$dev" >"$T/a.out" &
a=$!
sleep 0.3
jftest hold -w 100 /dev/vdc >"$T/b.out"
b_ms=$(sed -n 's/^freeze=ok ms=\([0-9]*\).*/\1/p' "$T/b.out")
check "a freeze of vdc completes at once (${b_ms:-?} ms)" test "${b_ms:-99999}" -lt 1000
wait $a
a_ms=$(sed -n 's/^freeze=ok ms=\([0-9]*\).*/\1/p' "$T/a.out")
check "while the other freeze still waited for its write (${a_ms:-?} ms)" \
	test "$(kv at freeze "$T/b.out")" -lt "$(kv at freeze "$T/a.out")"
check "which it did" test "${a_ms:-0}" -ge 1500
wait_for 10 finished_ok s
nullb_del slowdrain
