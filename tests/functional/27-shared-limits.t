# Each hold has its own limits, counted from when it joined: a session
# with a limit of one write that joins a device another session holds
# without limits breaks alone, and the other keeps holding.
. ./lib.sh

jftest hold -t 30000 -r "$T/ra" -u "$T/ga" /dev/vdc >"$T/a.out" &
a=$!
wait_for 20 test -f "$T/ra"
bg_write w0 /dev/vdc 0
check "A holds a write" held w0 0.5
jftest hold -t 30000 -b 1 -r "$T/rb" -u "$T/gb" /dev/vdc >"$T/b.out" &
b=$!
wait_for 20 test -f "$T/rb"
bg_write w1 /dev/vdc 4096
bg_write w2 /dev/vdc 8192
bid=$(kv hold freeze "$T/b.out")
aid=$(kv hold freeze "$T/a.out")
check "B's hold breaks at its limit" wait_for 10 sh -c "jftest status | grep -q '^hold=$bid .*broken=3'"
sleep 0.5
check "A's hold is not broken" sh -c "jftest status | grep -q '^hold=$aid .*state=1 broken=0'"
check "the writes are still held by A" sh -c "[ ! -f $T/w1.rc ] && [ ! -f $T/w2.rc ]"
touch "$T/gb"
wait $b
check "B's report: broken by too many writes" grep -q "broken=3" "$T/b.out"
touch "$T/ga"
wait $a
check "A's report: not broken, three writes held" sh -c "grep -q 'broken=0 held_bios=3 ' $T/a.out"
check "the writes land" wait_for 10 all_finished w0 w1 w2
