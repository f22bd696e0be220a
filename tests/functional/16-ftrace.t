# The hook: ftrace cannot be switched off under held writes; loading next
# to another redirect of submit_bio_noacct, or with ftrace off, fails and
# says why.
. ./lib.sh

f=/proc/sys/kernel/ftrace_enabled
[ -f $f ] || { skip "ftrace sysctl" "no $f"; exit 0; }
check "ftrace_enabled cannot be cleared while loaded" sh -c "! echo 0 > $f"
expect "still on" "$(cat $f)" 1

rmmod jetfreeze
check "load the test module that redirects submit_bio_noacct" modprobe jftest_ipmodify
dmesg -c >/dev/null
check "jetfreeze refuses to load next to it" sh -c '! modprobe jetfreeze 2>/dev/null'
check "and says why" sh -c 'dmesg | grep -q "another module already redirects it"'
rmmod jftest_ipmodify

echo 0 >$f
check "jetfreeze refuses to load with ftrace off" sh -c '! modprobe jetfreeze 2>/dev/null'
check "and says why" sh -c 'dmesg | grep -q "ftrace is switched off"'
echo 1 >$f
check "loads again" modprobe jetfreeze
check "works again" jetfreeze run /dev/vdc -- true
