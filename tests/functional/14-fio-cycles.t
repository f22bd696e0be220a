# fio writes and verifies through 200 freeze/thaw cycles with no error.
. ./lib.sh

cycles=${JF_CYCLES:-200}
fio --name=verify --filename=/dev/vdc --rw=randwrite --bs=4k --direct=1 \
	--ioengine=libaio --iodepth=16 --size=128M --verify=crc32c \
	--verify_backlog=256 --verify_fatal=1 --time_based --runtime=3600 \
	--output="$T/fio.out" >/dev/null 2>&1 &
fio=$!
sleep 2
fail=0 n=0 t0=$(now_ms)
while [ $n -lt "$cycles" ]; do
	jetfreeze run -t 10 /dev/vdc -- sleep 0.05 || fail=$((fail + 1))
	n=$((n + 1))
	kill -0 "$fio" 2>/dev/null || break
done
expect "freeze/thaw cycles that held" "$((n - fail))" "$cycles"
check "fio still running after the cycles" kill -0 "$fio"
# fio exits 128 when told to stop; its own report says whether it failed
kill -INT "$fio"
wait "$fio"
check "fio reports no error" grep -q "err= 0" "$T/fio.out"
check "fio verified without error" sh -c "! grep -qi 'verify.*fail\|bad magic\|crc32c: verify' $T/fio.out"
echo "# $cycles cycles in $(($(now_ms) - t0)) ms"
