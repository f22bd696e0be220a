# A frozen device that goes away: the hold breaks as "device removed", the
# held writes are acknowledged (with an error), nothing crashes.
. ./lib.sh

dev=$(nullb_new gone memory_backed=1 size=64 blocksize=4096) || { not_ok "null_blk"; exit 0; }
jftest hold -t 60000 -r "$T/r" -u "$T/g" "$dev" >"$T/h.out" &
h=$!
wait_for 20 test -f "$T/r"
bg_write w "$dev" 0
check "write held" held w 1
echo 0 >/sys/kernel/config/nullb/gone/power
check "the held write is acknowledged once the device is gone" wait_for 10 finished w
check "logged" sh -c 'dmesg | grep -q "went away while frozen"'
touch "$T/g"; wait "$h"
check "the thaw reports the device removed" grep -q "broken=4" "$T/h.out"
check "nothing frozen" nothing_frozen
rmdir /sys/kernel/config/nullb/gone

# removal of a device that is frozen together with another one
dev=$(nullb_new gone2 memory_backed=1 size=64 blocksize=4096)
rm -f "$T/r" "$T/g"
jftest hold -t 60000 -r "$T/r" -u "$T/g" "$dev" /dev/vdc >"$T/h2.out" &
h=$!
wait_for 20 test -f "$T/r"
bg_write other /dev/vdc 0
check "write to the other device held" held other 1
echo 0 >/sys/kernel/config/nullb/gone2/power
check "the whole hold breaks, the other device's write lands" wait_for 10 finished_ok other
touch "$T/g"; wait "$h"
check "reported as removed" grep -q "broken=4" "$T/h2.out"
rmdir /sys/kernel/config/nullb/gone2
