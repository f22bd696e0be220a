# The page-cache writeback before the hold is bounded and never waits for
# another session's hold: a freeze of a disk whose buffered writeback
# another session holds joins at once (it used to wait, unkillable, until
# that hold ended), and one on a dm device suspended with --noflush, its
# writeback stuck there, fails within drain_timeout_sec (it used to hang
# in D state until the resume).
. ./lib.sh

jftest hold -t 20000 -r "$T/ra" -u "$T/ga" /dev/vdc >"$T/a.out" &
a=$!
wait_for 20 test -f "$T/ra" || not_ok "A froze vdc"
# buffered, then fsync: its writeback is held by A
jftest write -c 4 /dev/vdc 0 >"$T/w.out" 2>&1 &
w=$!
sleep 1
check "the buffered write's writeback is held" kill -0 $w
t0=$(now_ms)
jftest hold -w 100 /dev/vdc >"$T/b.out" &
b=$!
wait_for 10 sh -c "! kill -0 $b"
ms=$(($(now_ms) - t0))
check "B's freeze of vdc joins at once ($ms ms; $(head -n 1 "$T/b.out"))" \
	sh -c "[ $ms -lt 5000 ] && grep -q '^freeze=ok' $T/b.out"
touch "$T/ga"
wait $a $b $w
check "A was not broken" grep -q "broken=0" "$T/a.out"

echo "0 $(blockdev --getsz /dev/vdc) linear /dev/vdc 0" | dmsetup create jfwb ||
	{ not_ok "dm-linear over vdc"; exit 0; }
dm=$(dm_node jfwb)
exec 3<"$dm"
dmsetup suspend --noflush --nolockfs jfwb
jftest write -c 4 "$dm" 0 >"$T/w2.out" 2>&1 &
w=$!
sleep 1
param drain_timeout_sec 2
t0=$(now_ms)
jftest hold -w 100 "$dm" >"$T/c.out" 2>&1 &
c=$!
wait_for 10 sh -c "! kill -0 $c"
ms=$(($(now_ms) - t0))
dmsetup resume jfwb
wait $c $w
check "a freeze whose writeback is stuck fails in time ($ms ms; $(head -n 1 "$T/c.out"))" \
	sh -c "[ $ms -lt 5000 ] && grep -q '^freeze=ETIMEDOUT' $T/c.out"
exec 3<&-
# the sync worker's close of the dm device may come a moment later
wait_for 10 dmsetup remove jfwb || not_ok "removing jfwb"
