# libjetfreeze: a hold that ends before Thaw (the timeout, a kernel hold
# limit) comes back from JetOSSnapshotThaw as JET_errOSSnapshotTimeOut
# (-2402); the engine's held writes land when the hold ends.
. ./lib.sh

mkfs_mount /dev/vdb /mnt/lib || { not_ok "ext4 on vdb"; exit 0; }

jftest-lib-engine -t 2000 -s 4000 -b 32 /mnt/lib/db.edb >"$T/out" 2>"$T/err"
check "Freeze" grep -q '^freeze=0 ' "$T/out"
check "Thaw after the timeout: -2402" grep -q '^thaw=-2402$' "$T/out"
check "the writes landed at the timeout, before Thaw" \
	grep -q '^frozen_writes_completed=32 of 32' "$T/out"
check "and are right" grep -q '^verify=ok' "$T/out"
check "the session was aborted" grep -q '^end=0$' "$T/out"
check "nothing frozen" nothing_frozen

# JET timeout 0: the hold ends right after the freeze (1 ms in the kernel)
jftest-lib-engine -t 0 -s 500 -b 8 /mnt/lib/db.edb >"$T/out0" 2>&1
check "timeout 0 ends the freeze at once" grep -q '^thaw=-2402$' "$T/out0"

# above the module's cap: clamped, and said so
JETFREEZE_DEBUG=1 jftest-lib-engine -t 100000 -b 8 /mnt/lib/db.edb >"$T/out1" 2>"$T/err1"
check "a timeout above the module's cap works" grep -q '^thaw=0$' "$T/out1"
check "and the clamp is logged" grep -q "above the module's limit" "$T/err1"

# a kernel hold limit: 1 MiB held at most; another writer writes 3 MiB
# while the engine is frozen (the engine's own writes wait in the library)
if [ -f /sys/module/jetfreeze/parameters/max_held_mib ]; then
	echo 1 >/sys/module/jetfreeze/parameters/max_held_mib
	JETFREEZE_DEBUG=1 jftest-lib-engine -b 32 -r "$T/ready" -u "$T/go" \
		/mnt/lib/db1.edb >"$T/out2" 2>"$T/err2" &
	pid=$!
	wait_for 90 test -f "$T/ready" || not_ok "the engine did not freeze"
	( dd if=/dev/zero of=/mnt/lib/big bs=1M count=3 conv=fsync 2>/dev/null
	  echo $? >"$T/big.rc" ) &
	check "the hold breaks and the other writer's 3 MiB land" \
		wait_for 60 finished_ok big
	sleep 1		# the library polls the hold every 250 ms
	touch "$T/go"
	wait "$pid"
	echo 0 >/sys/module/jetfreeze/parameters/max_held_mib
	check "a hold the kernel broke on its limit: Thaw -2402" grep -q '^thaw=-2402$' "$T/out2"
	check "the library noticed before Thaw" grep -q 'event 2004.*held-bytes' "$T/err2"
	check "the engine's writes are all there" grep -q '^verify=ok' "$T/out2"
else
	skip "hold limit" "no max_held_mib parameter"
fi
umount /mnt/lib
check "nothing frozen" nothing_frozen
