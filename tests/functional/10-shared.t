# Two sessions may hold overlapping devices: a device stays frozen until
# its last holder lets go, and each session keeps its own timeout and
# report.
. ./lib.sh

jftest hold -t 30000 -r "$T/ra" -u "$T/ga" /dev/vdb /dev/vdc >"$T/a.out" &
a=$!
wait_for 20 test -f "$T/ra"
jftest hold -t 4000 -r "$T/rb" -u "$T/gb" /dev/vdc >"$T/b.out" &
b=$!
wait_for 20 test -f "$T/rb"
check "joining a held device is quick" sh -c "[ \$(sed -n 's/^freeze=ok ms=\([0-9]*\).*/\1/p' $T/b.out) -lt 5000 ]"
expect "three status entries" "$(frozen_count)" 3
bg_write c1 /dev/vdc 0
check "shared device holds" held c1 1
# B times out, A still holds vdc
sleep 4
touch "$T/gb"; wait "$b"
check "B's report: broken by its own timeout" grep -q "broken=1" "$T/b.out"
check "B counted the write it held" grep -q "held_bios=1" "$T/b.out"
check "vdc still held by A" held c1 0.5
bg_write b1 /dev/vdb 0
check "vdb held by A" held b1 0.5
touch "$T/ga"; wait "$a"
check "A's report: not broken" grep -q "broken=0" "$T/a.out"
check "A counted both writes" grep -q "held_bios=2" "$T/a.out"
check "writes land when the last holder lets go" wait_for 10 sh -c "[ -f $T/c1.rc ] && [ -f $T/b1.rc ]"

# the reverse: the first holder lets go first
rm -f "$T"/r? "$T"/g?
jftest hold -t 30000 -r "$T/ra" -u "$T/ga" /dev/vdc >"$T/a2.out" &
a=$!
wait_for 20 test -f "$T/ra"
jftest hold -t 30000 -r "$T/rb" -u "$T/gb" /dev/vdc >"$T/b2.out" &
b=$!
wait_for 20 test -f "$T/rb"
bg_write c2 /dev/vdc 4096
touch "$T/ga"; wait "$a"
check "still held after the first holder thawed" held c2 1
touch "$T/gb"; wait "$b"
check "released by the second" wait_for 10 finished_ok c2
check "both reports unbroken" sh -c "grep -q broken=0 $T/a2.out && grep -q broken=0 $T/b2.out"
