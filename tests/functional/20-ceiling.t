# No write waits at a device longer than the hold ceiling, whatever the
# sessions holding it do: a session that joins a held device ends at the
# ceiling counted from when the device began holding, not from its own
# freeze.
. ./lib.sh

if [ -f /sys/module/jetfreeze/parameters/hold_ceiling_sec ]; then
	ceiling=8
	param hold_ceiling_sec $ceiling
else
	ceiling=110	# a module without the parameter: the built-in one
fi
param max_timeout_sec $ceiling
t=$((ceiling * 1000))

jftest hold -t $t -r "$T/ra" -u "$T/ga" /dev/vdc >"$T/a.out" &
a=$!
wait_for 20 test -f "$T/ra"
bg_write w /dev/vdc 0
start=$(now_ms)
check "the write is held" held w 0.5
sleep $((ceiling - 3))
jftest hold -t $t -r "$T/rb" -u "$T/gb" /dev/vdc >"$T/b.out" &
b=$!
wait_for 20 test -f "$T/rb"
left=$(jftest status | sed -n "s/^hold=$(kv hold freeze "$T/b.out") .*left_ms=\([0-9]*\).*/\1/p")
check "the joiner's hold ends by the device's ceiling (${left} ms left)" test "${left:-999999}" -le 3500
touch "$T/ga"
wait $a
wait_for $((ceiling * 3)) finished w
waited=$(($(cat "$T/w.ms") - start))
check "the held write waited at most the ceiling (${waited} ms; ceiling ${ceiling} s)" \
	test $waited -le $((ceiling * 1000 + 1000))
check "and succeeded" finished_ok w
touch "$T/gb"
wait $b
check "the joiner's report says its hold ran out" grep -q "broken=1" "$T/b.out"
