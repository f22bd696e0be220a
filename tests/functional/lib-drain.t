# libjetfreeze: writes the engine has in flight when Freeze starts, on a
# slow device (dm-delay, 1.5 s per write), complete before Freeze returns;
# the device and the disk under it are frozen in stages; writes the
# engine issues while frozen wait and land after Thaw.
. ./lib.sh

size=$(blockdev --getsz /dev/vdc)
echo "0 $size delay /dev/vdc 0 0 /dev/vdc 0 1500" | dmsetup create jflibdelay ||
	{ not_ok "dm-delay"; exit 0; }
dm=$(dm_node jflibdelay)
dmdev=$(cat "/sys/class/block/$(basename "$dm")/dev")
vdcdev=$(cat /sys/class/block/vdc/dev)

status() { jftest status >"$T/st"; }
engine_frozen status -p -b 16 "$dm"

check "Freeze succeeded" grep -q '^freeze=0 ' "$T/out"
check "the writes in flight at Freeze completed before it returned" \
	grep -q '^drained=yes' "$T/out"
ms=$(sed -n 's/^freeze=0 ms=\([0-9]*\).*/\1/p' "$T/out")
check "Freeze waited for them (${ms:-?} ms)" test "${ms:-0}" -ge 1000
expect "two devices frozen" "$(wc -l <"$T/st")" 2
check "the dm device in stage 0" grep -q "dev=$dmdev .*stage=0" "$T/st"
check "the disk under it in stage 1" grep -q "dev=$vdcdev .*stage=1" "$T/st"
check "writes issued while frozen were held" \
	grep -q '^frozen_writes_completed=0 ' "$T/out"
check "Thaw" grep -q '^thaw=0$' "$T/out"
check "every write issued while frozen landed" grep -q '^verify=ok' "$T/out"
check "TruncateLog and End" sh -c "grep -q '^truncate=0$' $T/out && grep -q '^end=0$' $T/out"
check "nothing frozen" nothing_frozen
dmsetup remove jflibdelay
