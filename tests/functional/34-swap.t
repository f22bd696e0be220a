# Swap-out is never held: swap is in no image, and a system short of
# memory must be able to swap while the disk that carries its swap is
# frozen.  A process limited to 16 MiB writes each page of 48 MiB of
# memory once while vdc, with the swap partition on it, is frozen: 32 MiB
# must go out to swap, and nothing comes back in (an awk filling a string
# thrashed for more than 100 s on the debug kernel).  Were swap-out held,
# it could not finish before the thaw.
. ./lib.sh

two_partitions /dev/vdc || { not_ok "partitions on vdc"; exit 0; }
mkswap /dev/vdc2 >/dev/null 2>&1 && swapon /dev/vdc2 ||
	{ not_ok "swap on vdc2"; exit 0; }
cg=/sys/fs/cgroup
mount -t cgroup2 none $cg 2>/dev/null
echo +memory >$cg/cgroup.subtree_control 2>/dev/null
mkdir -p $cg/jfswap && echo 16M >$cg/jfswap/memory.max ||
	{ not_ok "a memory cgroup"; swapoff /dev/vdc2; exit 0; }

jftest hold -t 70000 -r "$T/r" -u "$T/g" /dev/vdc >"$T/h.out" &
h=$!
wait_for 20 test -f "$T/r"
before=$(awk '/^pswpout/ { print $2 }' /proc/vmstat)
t0=$(now_ms)
timeout 60 sh -c "echo \$\$ >$cg/jfswap/cgroup.procs &&
	exec jftest hog 48" >"$T/hog.out" 2>&1
rc=$?
after=$(awk '/^pswpout/ { print $2 }' /proc/vmstat)
check "the process filled its memory while vdc was frozen (exit $rc, $(($(now_ms) - t0)) ms)" test $rc = 0
check "by swapping out ($((after - before)) pages)" test $((after - before)) -gt 1000
touch "$T/g"
wait $h
check "the hold was not broken" grep -q "broken=0" "$T/h.out"
swapoff /dev/vdc2
rmdir $cg/jfswap 2>/dev/null
