# drain_timeout_sec bounds the drain, not what comes before it: a freeze
# whose filesystem sync (here a delay before the devices hold) takes longer
# than drain_timeout_sec still drains and succeeds.  It used to fail with
# ETIMEDOUT, every wait of the drain given one jiffy.
. ./lib.sh

have_knobs || { not_ok "a test build with debugfs knobs"; exit 0; }
echo "0 $(blockdev --getsz /dev/vdc) linear /dev/vdc 0" | dmsetup create jfdd ||
	{ not_ok "dm-linear over vdc"; exit 0; }
dm=$(dm_node jfdd)
param drain_timeout_sec 2
knob delay_attach_ms 3000
# sequential O_DIRECT writes, in flight before and after the delay
bg_write w "$dm" 0 -c 10000
jftest hold -w 100 -s 0 "$dm" -s 1 /dev/vdc >"$T/h.out" 2>&1
check "the freeze succeeds ($(head -n 1 "$T/h.out"))" grep -q '^freeze=ok' "$T/h.out"
wait_for 60 finished w
dmsetup remove jfdd
