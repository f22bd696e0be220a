# A frozen partition leaves its siblings alone; a frozen whole disk holds
# all its partitions; writes through the whole-disk node into a frozen
# partition are held, into a sibling they are not.
. ./lib.sh

two_partitions /dev/vdb || { not_ok "partition vdb"; exit 0; }
p2_byte=$(($(part_start /dev/vdb2) * 512))
p1_byte=$(($(part_start /dev/vdb1) * 512))

jftest hold -t 30000 -r "$T/ready" -u "$T/go" /dev/vdb1 >"$T/hold.out" &
holder=$!
wait_for 20 test -f "$T/ready"
bg_write p1 /dev/vdb1 0
bg_write p2 /dev/vdb2 0
bg_write whole_in_p1 /dev/vdb $((p1_byte + 8192))
bg_write whole_in_p2 /dev/vdb $((p2_byte + 8192))
check "write to the frozen partition is held" held p1 1
check "write to the sibling partition passes" wait_for 5 finished_ok p2
check "write through the disk node into the frozen partition is held" held whole_in_p1 0
check "write through the disk node into the sibling passes" wait_for 5 finished_ok whole_in_p2
touch "$T/go"
wait "$holder"
check "held writes land after the thaw" wait_for 10 sh -c "[ -f $T/p1.rc ] && [ -f $T/whole_in_p1.rc ]"
check "held writes succeeded" sh -c "finished_ok() { [ \$(cat $T/\$1.rc) = 0 ]; }; finished_ok p1 && finished_ok whole_in_p1"

rm -f "$T/ready" "$T/go"
jftest hold -t 30000 -r "$T/ready" -u "$T/go" /dev/vdb >"$T/hold2.out" &
holder=$!
wait_for 20 test -f "$T/ready"
bg_write p2b /dev/vdb2 4096
bg_write p1b /dev/vdb1 4096
check "whole-disk freeze holds the second partition" held p2b 1
check "whole-disk freeze holds the first partition" held p1b 0
check "reads of a partition pass" jftest read -d /dev/vdb2 0
touch "$T/go"
wait "$holder"
check "partition writes land after the thaw" wait_for 10 sh -c "[ -f $T/p2b.rc ] && [ -f $T/p1b.rc ]"
