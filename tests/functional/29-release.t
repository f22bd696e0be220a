# Held devices are released independently: a device whose held writes go
# out slowly (one request at a time, 100 ms each) does not keep the held
# writes of the other devices of the same hold waiting.
. ./lib.sh

dev=$(nullb_new slowrel memory_backed=1 irqmode=2 completion_nsec=100000000 hw_queue_depth=1 size=64 blocksize=4096) ||
	{ not_ok "null_blk with one slow tag"; exit 0; }
jftest hold -t 30000 -r "$T/r" -u "$T/g" -s 0 /dev/vdc -s 1 "$dev" >"$T/h.out" &
h=$!
wait_for 20 test -f "$T/r"
bg_writes s 30 "$dev" 4096
bg_write v /dev/vdc 0
check "30 writes held on the slow device" wait_for 20 held_at_least "$dev" 30
check "vdc's write held" held v 0.2
touch "$T/g"
wait_for 20 finished v
wait $h
thaw_at=$(kv at thaw "$T/h.out")
v_at=$(cat "$T/v.ms")
check "vdc's write landed at once ($((v_at - thaw_at)) ms after the thaw)" \
	test $((v_at - thaw_at)) -lt 1000
check "the slow device's writes landed too" wait_for 20 all_finished $tags
check "release time reported" grep -q "release_ms=" "$T/h.out"
nullb_del slowrel
