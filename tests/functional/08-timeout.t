# Every hold ends at its timeout, is reported as broken, and the held
# writes land; the module's default and cap apply.
. ./lib.sh

t0=$(now_ms)
jetfreeze run -t 1 /dev/vdc -- sh -c "
	jftest write -d /dev/vdc 0 >/dev/null; awk '{ printf \"%d\", \$1 * 1000 }' /proc/uptime > $T/landed; sleep 3" \
	2>"$T/err"
rc=$?
expect "run exits 3 when the hold timed out" "$rc" 3
check "it says why" grep -q "broke (timeout)" "$T/err"
landed=$(cat "$T/landed" 2>/dev/null || echo 999999999)
check "the held write landed at the timeout, while the command still ran" test $((landed - t0)) -lt 3000
check "timeout logged as a warning" sh -c 'dmesg | grep -q "hold broken (timeout)"'

echo 2 >/sys/module/jetfreeze/parameters/default_timeout_sec
jftest hold -w 4000 /dev/vdc >"$T/h.out"
check "the default timeout applies when none is given" grep -q "broken=1" "$T/h.out"
fms=$(sed -n 's/.*frozen_ms=\([0-9]*\).*/\1/p' "$T/h.out")
check "after about 2 s ($fms ms)" sh -c "[ $fms -ge 1900 ] && [ $fms -le 4000 ]"
echo 10 >/sys/module/jetfreeze/parameters/default_timeout_sec

jetfreeze run -t 71 /dev/vdc -- true 2>"$T/err2"
expect "a timeout above the cap is refused" "$?" 1
check "with a message naming the cap" grep -q "cap of 70 s" "$T/err2"
echo 20 >/sys/module/jetfreeze/parameters/max_timeout_sec
jftest hold -t 25000 -w 10 /dev/vdc >"$T/h2.out"
check "a lowered cap applies at once" grep -q "freeze=EINVAL" "$T/h2.out"
echo 70 >/sys/module/jetfreeze/parameters/max_timeout_sec
