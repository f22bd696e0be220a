# A per-hold limit of 2^64-1 means no limit.  Joined to a device that has
# held writes already, its trigger used to wrap around to a small number,
# and every held write queued the limit work.
. ./lib.sh

TRACING=/sys/kernel/tracing
[ -d $TRACING/events ] || TRACING=/sys/kernel/debug/tracing
fn=$(awk '$3 == "jf_dev_limit_work" { print $1; exit }' /proc/kallsyms)
[ -n "$fn" ] || { not_ok "jf_dev_limit_work in kallsyms"; exit 0; }
jftest hold -t 30000 -r "$T/ra" -u "$T/ga" /dev/vdc >"$T/a.out" &
a=$!
wait_for 20 test -f "$T/ra"
bg_writes x 8 /dev/vdc 4096
first=$tags
sleep 1
jftest hold -t 30000 -b 0xffffffffffffffff -r "$T/rb" -u "$T/ga" /dev/vdc >"$T/b.out" &
b=$!
wait_for 20 test -f "$T/rb"
echo "function == 0x$fn" >$TRACING/events/workqueue/workqueue_queue_work/filter
echo 1 >$TRACING/events/workqueue/workqueue_queue_work/enable
echo >$TRACING/trace
bg_writes y 32 /dev/vdc 65536
sleep 2
echo 0 >$TRACING/events/workqueue/workqueue_queue_work/enable
echo 0 >$TRACING/events/workqueue/workqueue_queue_work/filter
n=$(grep -c workqueue_queue_work $TRACING/trace)
check "32 more held writes queued the limit work $n times" test "$n" -eq 0
touch "$T/ga"
wait $a $b
wait_for 30 all_finished $first $tags
check "neither hold was broken" sh -c "grep -q broken=0 $T/a.out && grep -q broken=0 $T/b.out"
