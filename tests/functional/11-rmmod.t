# rmmod is refused while anything is frozen or a file is open, and works
# cleanly after the thaw.
. ./lib.sh

jetfreeze freeze -t 20 /dev/vdc
check "rmmod refused while a persistent hold is frozen" sh -c '! rmmod jetfreeze 2>/dev/null'
check "module still loaded" grep -q '^jetfreeze ' /proc/modules
check "thaw" jetfreeze thaw
check "rmmod after the thaw" rmmod jetfreeze
check "unload logged" sh -c 'dmesg | grep -q "jetfreeze: unloaded"'
check "writes flow without the module" jftest write -d /dev/vdc 0
check "load again" modprobe jetfreeze

jftest hold -t 20000 -u "$T/go" /dev/vdc >/dev/null &
h=$!
wait_for 20 sh -c '[ -n "$(jftest status)" ]'
check "rmmod refused while a holder has its file open" sh -c '! rmmod jetfreeze 2>/dev/null'
touch "$T/go"; wait "$h"
check "rmmod once the holder is done" rmmod jetfreeze
check "load again" modprobe jetfreeze

# an ended persistent hold nobody collected does not pin the module
jetfreeze freeze -t 1 /dev/vdc
sleep 2
check "rmmod with only an uncollected report left" rmmod jetfreeze
check "load again" modprobe jetfreeze
