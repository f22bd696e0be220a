# A disk that comes back under the number of one that went away while
# frozen is a new disk: a freeze of it makes its own hold, even while the
# old disk's entry is still there (its hold not yet ended).  It used to
# join the old entry: broken as "removed" at once, the new disk's writes
# never held.
. ./lib.sh

have_knobs || { not_ok "a test build with debugfs knobs"; exit 0; }
dev=$(nullb_new reuse memory_backed=1 size=64 blocksize=4096) ||
	{ not_ok "null_blk"; exit 0; }
num=$(devnum "$dev")
jftest hold -t 60000 -r "$T/ra" -u "$T/ga" "$dev" >"$T/a.out" &
a=$!
wait_for 20 test -f "$T/ra"
# A's hold ends 3 s after the removal kicks it
knob delay_expire_ms 3000
echo 0 >/sys/kernel/config/nullb/reuse/power
sleep 0.5
echo 1 >/sys/kernel/config/nullb/reuse/power
wait_for 5 test -b "$dev" || not_ok "the disk came back"
check "under the same number ($num)" test "$(devnum "$dev")" = "$num"
jftest hold -t 20000 -r "$T/rb" -u "$T/gb" "$dev" >"$T/b.out" &
b=$!
wait_for 20 test -f "$T/rb"
aid=$(kv hold freeze "$T/a.out")
check "A's hold was still there when B froze" \
	sh -c "jftest status | grep -q '^hold=$aid '"
bg_write w "$dev" 0
check "a write to the new disk is held" held w 1
bid=$(kv hold freeze "$T/b.out")
check "the new disk's hold is not broken" \
	sh -c "jftest status | grep -q '^hold=$bid .*broken=0'"
knob delay_expire_ms 0
touch "$T/ga" "$T/gb"
wait $a $b
check "A's report: device removed" grep -q "broken=4" "$T/a.out"
check "B's report: not broken" grep -q "broken=0" "$T/b.out"
wait_for 10 finished w
check "the write landed at the thaw" finished_ok w
nullb_del reuse
