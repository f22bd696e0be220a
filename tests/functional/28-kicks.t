# Nothing that breaks a hold gets lost: a hold that joins a device whose
# disk is going away is broken like the holds already there, and so is a
# hold whose limit is crossed while its freeze is still being made.
. ./lib.sh

have_knobs || { skip "kicks racing a freeze" "not a test build of the module"; exit 0; }

dev=$(nullb_new gone memory_backed=1 size=64 blocksize=4096) ||
	{ not_ok "null_blk"; exit 0; }
jftest hold -t 60000 -r "$T/ra" -u "$T/ga" "$dev" >"$T/a.out" &
a=$!
wait_for 20 test -f "$T/ra"
# B opens the disk now and holds it 2 s later; A ends 3 s after its kick
knob delay_attach_ms 2000
knob delay_expire_ms 3000
jftest hold -t 60000 -r "$T/rb" -u "$T/gb" "$dev" >"$T/b.out" &
b=$!
sleep 0.5
knob delay_attach_ms 0
echo 0 >/sys/kernel/config/nullb/gone/power
t0=$(now_ms)
check "B's freeze joined the going disk" wait_for 20 test -f "$T/rb"
bid=$(kv hold freeze "$T/b.out")
check "B's hold is broken by the removal too" \
	wait_for 15 sh -c "jftest status | grep -q '^hold=$bid .*broken=4'"
echo "# B broken after $(($(now_ms) - t0)) ms"
knob delay_expire_ms 0
touch "$T/ga" "$T/gb"
wait $a $b
check "A's report: device removed" grep -q "broken=4" "$T/a.out"
check "B's report: device removed" grep -q "broken=4" "$T/b.out"
nullb_del gone

# a limit crossed while the freeze arms its expiry
knob delay_freeze_arm_ms 2000
jftest hold -t 30000 -b 1 -r "$T/rc" -u "$T/gc" /dev/vdc >"$T/c.out" &
c=$!
sleep 0.7
bg_write k1 /dev/vdc 0
bg_write k2 /dev/vdc 4096
bg_write k3 /dev/vdc 8192
wait_for 20 test -f "$T/rc"
knob delay_freeze_arm_ms 0
check "writes released at once, not at the timeout" wait_for 6 all_finished k1 k2 k3
touch "$T/gc"
wait $c
check "the report: too many writes" grep -q "broken=3" "$T/c.out"
