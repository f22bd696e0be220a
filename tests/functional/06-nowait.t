# REQ_NOWAIT writes fail with EAGAIN instead of waiting, as on a suspended
# dm device; without a freeze they go through.
. ./lib.sh

out=$(jftest write -d -n /dev/vdc 0)
expect "RWF_NOWAIT write when not frozen" "${out%% *}" ok
jftest hold -t 30000 -r "$T/r" -u "$T/g" /dev/vdc >"$T/h.out" &
h=$!
wait_for 20 test -f "$T/r"
t0=$(now_ms)
expect "RWF_NOWAIT write while frozen" "$(jftest write -d -n /dev/vdc 0)" EAGAIN
check "it failed at once" test $(($(now_ms) - t0)) -lt 3000
bg_write blocking /dev/vdc 4096
check "a blocking write still waits" held blocking 1
touch "$T/g"; wait "$h"
check "and lands" wait_for 10 finished_ok blocking
