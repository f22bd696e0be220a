# The ceiling counts from the oldest hold on the disk: a write held at a
# partition, released when its hold ends and held again by a hold on the
# whole disk that began later, still waits no longer than the ceiling.
. ./lib.sh

[ -f /sys/module/jetfreeze/parameters/hold_ceiling_sec ] ||
	{ not_ok "hold_ceiling_sec parameter"; exit 0; }
two_partitions /dev/vdc || { not_ok "partitions on vdc"; exit 0; }
short_ceiling 10
jftest hold -t 8000 -r "$T/ra" -u "$T/never" /dev/vdc1 >"$T/a.out" &
a=$!
wait_for 20 test -f "$T/ra"
bg_write w /dev/vdc1 0
start=$(now_ms)
check "the write is held" held w 0.5
sleep 4.5
jftest hold -t 8000 -r "$T/rb" -u "$T/never" /dev/vdc >"$T/b.out" &
b=$!
wait_for 20 test -f "$T/rb"
wait_for 30 finished w
waited=$(($(cat "$T/w.ms") - start))
check "the write waited at most the ceiling (${waited} ms; ceiling 10 s)" test $waited -le 11000
touch "$T/never"
wait $a $b
wipefs -qa /dev/vdc >/dev/null 2>&1
