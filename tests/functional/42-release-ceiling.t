# The ceiling counts from a write's first hold even while the device that
# held it is still sending it out: a write held at a partition, whose
# release is slow, and held again by a hold of the whole disk that began
# during that release, waits no longer than the ceiling.  The whole disk's
# hold used to count from its own start.
. ./lib.sh

have_knobs || { not_ok "a test build with debugfs knobs"; exit 0; }
two_partitions /dev/vdc || { not_ok "partitions on vdc"; exit 0; }
short_ceiling 10
jftest hold -t 10000 -r "$T/ra" -u "$T/ga" /dev/vdc1 >"$T/a.out" &
a=$!
wait_for 20 test -f "$T/ra"
bg_write w /dev/vdc1 0
start=$(now_ms)
check "the write is held" held w 0.5
sleep 6.5
knob delay_release_ms 2000
touch "$T/ga"
sleep 0.3
jftest hold -t 8000 -r "$T/rb" -u "$T/never" /dev/vdc >"$T/b.out" &
b=$!
wait_for 20 test -f "$T/rb"
knob delay_release_ms 0
wait_for 30 finished w
waited=$(($(cat "$T/w.ms") - start))
check "the write waited at most the ceiling (${waited} ms; ceiling 10 s)" test $waited -le 11000
touch "$T/never"
wait $a $b
wipefs -qa /dev/vdc >/dev/null 2>&1
