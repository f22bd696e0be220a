# jetfreeze(8) end to end: run, the two-step freeze/thaw form, paths,
# status, version and the exit codes.
. ./lib.sh

two_partitions /dev/vdb || { not_ok "partition vdb"; exit 0; }
mkfs_mount /dev/vdb1 /mnt/a ||
	{ not_ok "ext4 on vdb1"; exit 0; }
echo hello >/mnt/a/file && sync

expect "run passes the command's exit status" \
	"$(jetfreeze run /dev/vdc -- sh -c 'exit 5'; echo $?)" 5
expect "run: command not found" "$(jetfreeze run /dev/vdc -- /nonexistent 2>/dev/null; echo $?)" 127
jetfreeze run /mnt/a/file -- sh -c "jftest status > $T/st"
check "a file resolves to its filesystem's device" grep -q "dev=$(cat /sys/class/block/vdb1/dev) " "$T/st"
jetfreeze run /mnt/a -- sh -c "jftest status > $T/st2"
check "a mount point resolves too" test "$(wc -l <"$T/st2")" = 1
jetfreeze run /proc -- true 2>"$T/err"
expect "a path with no block device under it" "$?" 1
check "with a message" grep -q "no block device" "$T/err"
jetfreeze run /nonexistent -- true 2>/dev/null
expect "a missing path" "$?" 1
jetfreeze run 2>/dev/null
expect "usage error" "$?" 1
jetfreeze run /dev/vdc 2>/dev/null
expect "run without a command" "$?" 1
check "help" sh -c 'jetfreeze --help | grep -q "Usage:"'
check "--version" sh -c 'jetfreeze --version | grep -q "^jetfreeze [0-9]"'
check "version shows the module" sh -c 'jetfreeze version | grep -q "^module "'

# two-step: freeze returns, the hold stays, thaw from another process
# 60 s: on a host busy with other guests the steps below took over 30
check "freeze returns" jetfreeze freeze -t 60 /mnt/a
jetfreeze status >"$T/status"
check "status lists the hold" grep -q "vdb1 .* frozen .* yes" "$T/status"
jetfreeze status --json >"$T/json"
check "status --json" grep -q '"holds": \[' "$T/json"
check "json has the device" grep -q '"device": "vdb1"' "$T/json"
(echo more >>/mnt/a/file; sync; touch "$T/synced") &
check "sync on the frozen filesystem waits" sh -c "sleep 1; [ ! -f $T/synced ]"
check "reads of the frozen filesystem pass" grep -q hello /mnt/a/file
expect "freeze of a device already held by a persistent hold works" "$(jetfreeze run /dev/vdb1 -- true; echo $?)" 0
check "thaw" jetfreeze thaw /mnt/a
check "sync finishes after the thaw" wait_for 10 test -f "$T/synced"
jetfreeze thaw 2>"$T/err"
expect "thaw with nothing left" "$?" 1

# a two-step hold that times out is reported as broken
check "freeze with a 1 s timeout" jetfreeze freeze -t 1 /dev/vdc
sleep 2
jetfreeze status >"$T/status2"
check "status shows the ended hold" grep -q "ended .* timeout" "$T/status2"
jetfreeze thaw /dev/vdc 2>"$T/err2"
expect "thaw exits 3 for a broken hold" "$?" 3
check "and says so" grep -q "broke (timeout)" "$T/err2"

# thaw does not take holds it does not own
jetfreeze run -t 20 /dev/vdc -- sleep 3 &
r=$!
wait_for 20 sh -c '[ -n "$(jftest status)" ]'
jetfreeze thaw /dev/vdc 2>"$T/err3"
expect "thaw refuses a hold owned by a running process" "$?" 1
check "naming the owner" grep -q "held by jetfreeze" "$T/err3"
wait "$r"
expect "the owner's hold was not disturbed" "$?" 0

umount /mnt/a
check "filesystem clean after all that" e2fsck -fn /dev/vdb1

rmmod jetfreeze
jetfreeze status 2>/dev/null
expect "exit 2 without the module" "$?" 2
jetfreeze run /dev/vdc -- true 2>/dev/null
expect "run exits 2 without the module" "$?" 2
modprobe jetfreeze
