# A write in flight when the freeze starts finishes before the freeze
# returns: blk-mq (null_blk with slow completions) and bio-based (dm-delay).
. ./lib.sh

dev=$(nullb_new slow memory_backed=1 irqmode=2 completion_nsec=2000000000 size=64 blocksize=4096) ||
	{ not_ok "null_blk with slow completions"; exit 0; }
bg_write slow "$dev" 0 -x 0x11
sleep 0.3
check "write still in flight" test ! -f "$T/slow.rc"
jftest hold -w 200 "$dev" >"$T/hold.out"
wait_for 10 finished slow
t1=$(cat "$T/slow.ms" 2>/dev/null || echo 999999999)
freeze_ms=$(sed -n 's/^freeze=ok ms=\([0-9]*\).*/\1/p' "$T/hold.out")
frozen_at=$(kv at freeze "$T/hold.out")
check "freeze waited for the in-flight write (${freeze_ms} ms)" test "${freeze_ms:-0}" -ge 1000
# the writer may wake a little after its I/O completed; a freeze that did
# not wait would return ~1.7 s before the write's end
check "write completed before the freeze returned (at $t1, freeze returned at $frozen_at)" test "$t1" -le $((${frozen_at:-0} + 500))
check "write succeeded" finished_ok slow
nullb_del slow

# bio-based: dm-delay delays every write 1.5 s
size=$(blockdev --getsz /dev/vdc)
echo "0 $size delay /dev/vdc 0 0 /dev/vdc 0 1500" | dmsetup create jfdelay ||
	{ not_ok "dm-delay"; exit 0; }
dm=$(dm_node jfdelay)
bg_write dly "$dm" 0 -x 0x22
sleep 0.3
check "dm write still in flight" test ! -f "$T/dly.rc"
jftest hold -w 200 "$dm" >"$T/hold2.out"
wait_for 10 finished dly
t1=$(cat "$T/dly.ms" 2>/dev/null || echo 999999999)
freeze_ms=$(sed -n 's/^freeze=ok ms=\([0-9]*\).*/\1/p' "$T/hold2.out")
frozen_at=$(kv at freeze "$T/hold2.out")
check "freeze of the dm device waited for its in-flight write (${freeze_ms} ms)" test "${freeze_ms:-0}" -ge 700
check "dm write completed before the freeze returned (at $t1, freeze returned at $frozen_at)" test "$t1" -le $((${frozen_at:-0} + 500))
check "dm write succeeded" finished_ok dly

# both levels at once, the dm device first: its write must not get stuck
bg_write dly2 "$dm" 8192 -x 0x33
sleep 0.3
check "stacked freeze, dm above disk" sh -c "jetfreeze run -v $dm -- true 2>&1"
check "dm write completed" finished_ok dly2
dmsetup remove jfdelay

# a drain that cannot finish fails cleanly, leaving nothing frozen
dev=$(nullb_new stuck memory_backed=1 irqmode=2 completion_nsec=4000000000 size=64 blocksize=4096)
echo 1 >/sys/module/jetfreeze/parameters/drain_timeout_sec
bg_write stuck "$dev" 0
sleep 0.3
jftest hold -w 100 "$dev" >"$T/hold3.out"
check "freeze fails when writes do not drain in time" grep -q '^freeze=ETIMEDOUT' "$T/hold3.out"
check "nothing frozen after the failed freeze" nothing_frozen
wait_for 10 finished stuck
check "that write finished" finished_ok stuck
echo 30 >/sys/module/jetfreeze/parameters/drain_timeout_sec
nullb_del stuck
