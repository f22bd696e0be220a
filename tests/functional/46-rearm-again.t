# Back-to-back holds, each re-arming the device while the one before still
# lets its writes out: the ceiling keeps the first hold's start only until
# that hold's writes are out.  It used to keep it for good, so that a third
# hold, more than a ceiling after the first began, failed or broke at once.
. ./lib.sh

have_knobs || { not_ok "a test build with debugfs knobs"; exit 0; }
short_ceiling 10
knob delay_release_ms 2000
# one write held by each hold, as a steady writer would
(
	i=0
	while [ ! -f "$T/stop" ]; do
		jftest write -d /dev/vdc $((i * 4096)) >/dev/null 2>&1
		i=$((i + 1))
	done
) &
writer=$!
t0=$(now_ms)
jftest hold -w 3500 /dev/vdc >"$T/a.out" 2>&1 &
a=$!
sleep 4
# A's writes still on their way out: B re-arms the device
jftest hold -t 10000 -u "$T/never" /dev/vdc >"$T/b.out" 2>&1 &
b=$!
# B reaches the ceiling from A's start at +10 s; its writes go out slowly
while [ $(($(now_ms) - t0)) -lt 10500 ]; do sleep 0.1; done
jftest hold -w 1000 /dev/vdc >"$T/c.out" 2>&1
echo "# C started at +$(($(kv at freeze "$T/c.out") - t0)) ms: $(head -n 1 "$T/c.out")"
check "C, re-arming after B, freezes" grep -q '^freeze=ok' "$T/c.out"
check "and is not broken" grep -q 'broken=0' "$T/c.out"
knob delay_release_ms 0
touch "$T/never" "$T/stop"
wait $a $b $writer
check "A's hold was not broken" grep -q 'broken=0' "$T/a.out"
