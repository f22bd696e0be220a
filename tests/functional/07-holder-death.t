# kill -9 of the holder ends its hold at once: the file closes, the module
# releases what it held and logs it.
. ./lib.sh

jetfreeze run -t 60 /dev/vdc -- sleep 100 &
holder=$!
wait_for 20 sh -c '[ -n "$(jftest status)" ]' || not_ok "freeze"
bg_write w /dev/vdc 0
check "write held while the holder lives" held w 1
kill -9 "$holder"
check "write lands once the holder is killed" wait_for 5 finished_ok w
check "nothing frozen" wait_for 5 nothing_frozen
check "the broken hold is logged" sh -c 'dmesg | grep -q "holder closed its file while frozen"'
check "and reported as broken" sh -c 'dmesg | grep -q "hold broken (holder gone)"'

# the same for a library-style holder: a process that dies inside its hold
jftest hold -t 60000 -w 100000 /dev/vdc >"$T/h.out" &
holder=$!
wait_for 20 sh -c '[ -n "$(jftest status)" ]'
bg_write w2 /dev/vdc 4096
check "write held" held w2 1
kill -9 "$holder"
check "write lands after the kill" wait_for 5 finished_ok w2
check "nothing frozen after the kill" wait_for 5 nothing_frozen
