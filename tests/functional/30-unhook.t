# While the ftrace ops cannot be unregistered, the patched call site still
# leads into the module: unloading must not free it.  The module waits,
# saying why, until the unregistration succeeds (here the first two
# attempts fail on purpose); writes go on through the hook meanwhile.
. ./lib.sh

have_knobs || { skip "unhook failures" "not a test build of the module"; exit 0; }
knob fail_unhook 2
(rmmod jetfreeze 2>"$T/rmmod.err"; echo $? >"$T/rmmod.rc") &
i=0
while [ ! -f "$T/rmmod.rc" ] && [ $i -lt 200 ]; do
	jftest write -d /dev/vdc $((i * 4096)) >/dev/null || break
	i=$((i + 1))
done
echo "# $i writes while rmmod ran"
wait_for 30 test -f "$T/rmmod.rc"
expect "rmmod finishes once the hook is removed" "$(cat "$T/rmmod.rc" 2>/dev/null)" 0
check "the log says why it waited" sh -c 'dmesg | grep -q "cannot unhook"'
check "writes after the unload" jftest write -d /dev/vdc 0
modprobe jetfreeze
