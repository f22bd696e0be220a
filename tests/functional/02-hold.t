# While frozen: writes wait, reads flow, the device and its host image do
# not change; after the thaw the held writes land.
. ./lib.sh

dd if=/dev/urandom of=/dev/vdb bs=1M count=64 oflag=direct 2>/dev/null
sync
host_before=$(host_sha vdb) || not_ok "host channel: sha256 of the vdb image"

# 60 s: the two 64 MiB reads below take tens of seconds on the debug
# kernel (KASAN) of a loaded host; the hold must not expire under them
jftest hold -t 60000 -r "$T/ready" -u "$T/go" /dev/vdb >"$T/hold.out" 2>&1 &
holder=$!
wait_for 20 test -f "$T/ready" || not_ok "freeze did not complete"

bg_write w1 /dev/vdb 4096 -x 0xab
check "O_DIRECT write is held" held w1 1
# writers keep going while we take the image
fio --name=w --filename=/dev/vdb --rw=randwrite --bs=4k --direct=1 \
	--ioengine=libaio --iodepth=8 --size=64M --time_based --runtime=3 \
	>/dev/null 2>&1 &
fio=$!
dd if=/dev/vdb bs=1M count=64 iflag=direct 2>/dev/null | sha256sum >"$T/read1"
t0=$(now_ms)
ms=$(jftest read -d -s 1048576 /dev/vdb 8388608)
t1=$(now_ms)
check "O_DIRECT read while frozen ($ms ms)" test $((t1 - t0)) -lt 5000
sleep 1
dd if=/dev/vdb bs=1M count=64 iflag=direct 2>/dev/null | sha256sum >"$T/read2"
check "raw device identical across two reads during the freeze" cmp -s "$T/read1" "$T/read2"
host_during=$(host_sha vdb)
expect "host image unchanged during the freeze" "$host_during" "$host_before"
check "buffered read of the device while frozen" sh -c 'dd if=/dev/vdb of=/dev/null bs=1M count=16 skip=40 2>/dev/null'

touch "$T/go"
wait "$holder"
expect "thaw report" "$(sed -n 's/^thaw=\([a-z]*\) broken=\([0-9]*\).*/\1 \2/p' "$T/hold.out")" "ok 0"
check "held write finished after the thaw" wait_for 10 finished_ok w1
wait "$fio"
check "fio writers finished" true
dd if=/dev/vdb bs=4096 skip=1 count=1 iflag=direct 2>/dev/null | od -An -tx1 | head -1 >"$T/data"
check "held write is on the device" grep -q "ab ab ab ab" "$T/data"
host_after=$(host_sha vdb)
check "host image changed after the thaw" test -n "$host_after" -a "$host_after" != "$host_before"
check "nothing frozen afterwards" nothing_frozen
