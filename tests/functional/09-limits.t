# Holding too much breaks the hold early instead of exhausting memory:
# the caller's per-device limits and the module-wide caps.
. ./lib.sh

jetfreeze run -t 30 --max-held-writes 5 /dev/vdc -- sh -c "
	for i in 1 2 3 4 5 6 7 8; do jftest write -d /dev/vdc \$((i * 4096)) >/dev/null & done; wait" \
	2>"$T/err"
expect "run exits 3 when a write limit broke the hold" "$?" 3
check "it says why" grep -q "broke (held-bios)" "$T/err"
check "logged" sh -c 'dmesg | grep -q "too many writes held"'

jetfreeze run -t 30 --max-held-mib 1 /dev/vdc -- sh -c "
	jftest write -d -s 2097152 /dev/vdc 0 >/dev/null" 2>"$T/err2"
expect "run exits 3 when a byte limit broke the hold" "$?" 3
check "it says why" grep -q "broke (held-bytes)" "$T/err2"

echo 20 >/sys/module/jetfreeze/parameters/max_held_bios
jftest hold -t 30000 -r "$T/ready" -u "$T/go" /dev/vdc >"$T/h.out" &
h=$!
wait_for 20 test -f "$T/ready"
pids=
for i in $(seq 1 30); do
	jftest write -d /dev/vdc $((i * 4096)) >/dev/null &
	pids="$pids $!"
done
# they finish once the cap breaks the hold, long before its timeout
t0=$(now_ms)
wait $pids
check "writes released by the module-wide cap ($(($(now_ms) - t0)) ms)" test $(($(now_ms) - t0)) -lt 20000
touch "$T/go"
wait "$h"
check "the module-wide bio cap breaks the hold" grep -q "broken=3" "$T/h.out"
echo 262144 >/sys/module/jetfreeze/parameters/max_held_bios
