# Discard, write-zeroes and secure erase carry no data: they count as held
# writes but not as held bytes, so one large discard cannot break a hold
# (the module-wide byte cap is an eighth of this VM's RAM, 128 MiB).
. ./lib.sh

jftest hold -t 30000 -r "$T/r" -u "$T/g" /dev/vdc /dev/vdb >"$T/h.out" &
h=$!
wait_for 20 test -f "$T/r"
# (blkdiscard opens its device exclusively: one per device)
(blkdiscard -o 0 -l 268435456 /dev/vdc 2>&1; echo $? >"$T/discard.rc") &
zeroes=0
if [ "$(cat /sys/block/vdb/queue/write_zeroes_max_bytes)" -gt 0 ]; then
	zeroes=1
	(blkdiscard -z -o 0 -l 268435456 /dev/vdb 2>&1; echo $? >"$T/zeroes.rc") &
fi
sleep 2
check "a 256 MiB discard is held" test ! -f "$T/discard.rc"
[ $zeroes = 0 ] || check "a 256 MiB write-zeroes is held" test ! -f "$T/zeroes.rc"
line=$(jftest status | tr '\n' ' ')
check "the hold is not broken ($line)" sh -c "echo '$line' | grep -q 'state=1 broken=0' && ! echo '$line' | grep -q 'broken=[1-9]'"
bytes=$(jftest status | sed -n 's/.*held_bytes=\([0-9]*\).*/\1/p' | awk '{ s += $1 } END { print s + 0 }')
check "they count no payload ($bytes bytes held)" test "${bytes:-1}" -lt 1048576
touch "$T/g"
wait $h
check "the report: not broken" grep -q "broken=0" "$T/h.out"
check "the report counts the discard as a write, not as bytes" \
	sh -c "grep -q 'held_bytes=0 ' $T/h.out && ! grep -q 'held_bios=0 ' $T/h.out"
wait_for 30 test -f "$T/discard.rc"
expect "the discard succeeded after the thaw" "$(cat "$T/discard.rc" 2>/dev/null)" 0
if [ $zeroes = 1 ]; then
	wait_for 30 test -f "$T/zeroes.rc"
	expect "the write-zeroes succeeded after the thaw" "$(cat "$T/zeroes.rc" 2>/dev/null)" 0
else
	skip "write-zeroes" "vdc does not offer it"
fi
