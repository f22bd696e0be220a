# A bio-based device that does not count its writes in flight cannot be
# drained.  The module refuses it, whatever else the freeze holds (it
# cannot see what lies below a device), and says how to make it count.
. ./lib.sh

modprobe raid0 2>/dev/null
two_partitions /dev/vdb || { not_ok "partitions on vdb"; exit 0; }
mdadm --create /dev/md0 --run --quiet --level=0 --raid-devices=2 /dev/vdb1 /dev/vdb2 \
	>"$T/mdadm.out" 2>&1 || { not_ok "md raid0 ($(cat "$T/mdadm.out"))"; exit 0; }
wait_for 5 test -b /dev/md0

echo 0 >/sys/block/md0/queue/iostats
jftest hold -w 100 -s 0 /dev/md0 -s 1 /dev/vdc >"$T/a.out"
expect "md0 without iostats and an unrelated device after it: refused" \
	"$(sed -n 's/^freeze=\([^ ]*\).*/\1/p' "$T/a.out")" EOPNOTSUPP
check "md0 is named (failed_index 0)" grep -q "failed_index=0" "$T/a.out"
check "the log says how to make it count" sh -c 'dmesg | grep -q "md0.*iostats"'
check "nothing frozen after the refusal" nothing_frozen
jftest hold -w 100 -s 0 /dev/md0 -s 1 /dev/vdb1 /dev/vdb2 >"$T/b.out"
expect "md0 without iostats, its members after it: refused too" \
	"$(sed -n 's/^freeze=\([^ ]*\).*/\1/p' "$T/b.out")" EOPNOTSUPP

echo 1 >/sys/block/md0/queue/iostats
jftest hold -w 100 -s 0 /dev/md0 -s 1 /dev/vdb1 /dev/vdb2 >"$T/c.out"
check "md0 counting its writes: frozen" grep -q '^freeze=ok' "$T/c.out"
mdadm --stop /dev/md0 >/dev/null 2>&1
wipefs -qa /dev/vdb >/dev/null 2>&1
