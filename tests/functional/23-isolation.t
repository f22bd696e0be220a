# A freeze waits only for writes to the devices it freezes.  Writers stuck
# inside submit_bio_noacct() on an unrelated device (waiting for the only
# tag of a null_blk whose one request takes 4.5 s, below its 5 s request
# timeout) neither delay nor fail it; and rmmod is refused, not left
# hanging, while such a writer has been inside the module's hook for a
# while (two seconds).
. ./lib.sh

dev=$(nullb_new stuck memory_backed=1 irqmode=2 completion_nsec=4500000000 hw_queue_depth=1 size=64 blocksize=4096) ||
	{ not_ok "null_blk with one slow tag"; exit 0; }
bg_write s1 "$dev" 0
sleep 0.3
bg_write s2 "$dev" 4096
bg_write s3 "$dev" 8192
sleep 0.5
check "the other writers wait for a tag" sh -c "[ ! -f $T/s2.rc ] && [ ! -f $T/s3.rc ]"
param drain_timeout_sec 2
jftest hold -w 100 /dev/vdc >"$T/h.out"
check "freezing vdc succeeds ($(head -n 1 "$T/h.out"))" grep -q '^freeze=ok' "$T/h.out"
ms=$(sed -n 's/^freeze=ok ms=\([0-9]*\).*/\1/p' "$T/h.out")
check "without waiting for the stuck writer (${ms:-?} ms)" test "${ms:-99999}" -lt 1500
param drain_timeout_sec 30
sleep 3
if rmmod jetfreeze 2>"$T/rmmod.err"; then
	not_ok "rmmod is refused while a writer is stuck inside the hook (it unloaded)"
	modprobe jetfreeze
else
	ok "rmmod is refused while a writer is stuck inside the hook ($(tr '\n' ' ' <"$T/rmmod.err"))"
fi
wait_for 30 all_finished s1 s2 s3
check "the writes succeeded" sh -c "[ \$(cat $T/s1.rc) = 0 ] && [ \$(cat $T/s2.rc) = 0 ] && [ \$(cat $T/s3.rc) = 0 ]"
check "rmmod works once the writer is out" rmmod jetfreeze
modprobe jetfreeze
nullb_del stuck
