# Copy-on-write snapshots under load: while fio random writes with verify
# run on the origin, each image equals the origin at its freeze point byte
# for byte (a copy read while the freeze held), also while the image is
# read concurrently; fio's own verify stays clean.  Two devices in one
# snapshot: a write on B that follows a completed write on A never appears
# in the images without it.
. ./lib.sh

MIB=64
ROUNDS=${JF_SNAP_ROUNDS:-4}
img_of() { sed -n 's/^image [0-9:]* \([^ ]*\) .*/\1/p' "$1" | head -n 1; }
sha() { dd if="$1" bs=1M count="${2:-$MIB}" iflag=direct 2>/dev/null | sha256sum | cut -d' ' -f1; }

fio --name=verify --filename=/dev/vdb --rw=randwrite --bs=4k --direct=1 \
	--ioengine=libaio --iodepth=16 --size=${MIB}M --verify=crc32c \
	--verify_backlog=256 --verify_fatal=1 --time_based --runtime=3600 \
	--output="$T/fio.out" >/dev/null 2>&1 &
fio=$!
sleep 2

good=0 r=1
while [ $r -le "$ROUNDS" ]; do
	rm -f "$T/r" "$T/go" "$T/done"
	# with -f the freeze holds until the snapshot is armed: the copy made
	# meanwhile is the origin at the freeze point
	jftest snap -f -r "$T/r" -g "$T/go" -u "$T/done" -D /dev/vdc -n r$r \
		/dev/vdb >"$T/s.out" 2>&1 &
	s=$!
	wait_for 30 test -f "$T/r" || break
	dd if=/dev/vdb of="$T/point" bs=1M count=$MIB iflag=direct 2>/dev/null
	touch "$T/go"
	wait_for 30 grep -q '^thaw=' "$T/s.out" || break
	image=/dev/$(img_of "$T/s.out")
	wait_for 10 test -b "$image"
	# the origin keeps changing under fio while the image is read, twice
	sleep 1
	a=$(sha "$image")
	fio --name=rd --filename="$image" --rw=randread --bs=64k --direct=1 \
		--ioengine=libaio --iodepth=8 --size=${MIB}M --runtime=2 \
		--time_based >/dev/null 2>&1
	b=$(sha "$image")
	want=$(sha256sum <"$T/point" | cut -d' ' -f1)
	if [ "$a" = "$want" ] && [ "$b" = "$want" ] &&
		grep -q 'thaw=ok broken=0' "$T/s.out"; then
		good=$((good + 1))
	else
		echo "# round $r: image $a then $b, want $want; $(tr '\n' ' ' <"$T/s.out")"
	fi
	touch "$T/done"
	wait $s
	r=$((r + 1))
done
expect "images equal to the origin at their freeze point, read during writes" "$good" "$ROUNDS"
check "fio still running" kill -0 "$fio"
kill -INT "$fio"
wait "$fio"
check "fio reports no error" grep -q "err= 0" "$T/fio.out"
check "fio verified without error" sh -c "! grep -qi 'verify.*fail\|bad magic\|crc32c: verify' $T/fio.out"

# two devices: B's sequence number is written only after A's completed
two=$(nullb_new jfsnapb size=64 memory_backed=1 blocksize=4096)
one=/dev/vdb
seq_of() { dd if="$1" bs=4096 count=1 skip=7 iflag=direct 2>/dev/null | head -c 8; }
(
	i=1
	while [ ! -f "$T/stop" ]; do
		n=$(printf '%08d' $i)
		printf '%s' "$n" | dd of=$one bs=4096 seek=7 conv=sync oflag=direct 2>/dev/null
		printf '%s' "$n" | dd of="$two" bs=4096 seek=7 conv=sync oflag=direct 2>/dev/null
		i=$((i + 1))
	done
) &
w=$!
sleep 1
ordered=0 k=1
while [ $k -le 10 ]; do
	jftest snap -D /dev/vdc -n pair$k -u "$T/pd" $one "$two" >"$T/p.out" 2>&1 &
	p=$!
	wait_for 20 grep -q '^snap=' "$T/p.out"
	ia=/dev/$(sed -n 's/^image [0-9:]* \([^ ]*\) .*/\1/p' "$T/p.out" | sed -n 1p)
	ib=/dev/$(sed -n 's/^image [0-9:]* \([^ ]*\) .*/\1/p' "$T/p.out" | sed -n 2p)
	wait_for 10 test -b "$ia" && wait_for 10 test -b "$ib"
	sa=$(seq_of "$ia") sb=$(seq_of "$ib")
	if [ -n "$sa" ] && [ -n "$sb" ] && [ "$sb" -le "$sa" ]; then
		ordered=$((ordered + 1))
	else
		echo "# pair $k: A=$sa B=$sb"
	fi
	touch "$T/pd"
	wait $p
	rm -f "$T/pd"
	k=$((k + 1))
done
touch "$T/stop"
wait $w
expect "two devices: B never ahead of A in the images" "$ordered" 10
nullb_del jfsnapb
check "nothing is left" sh -c "[ -z \"\$(jftest snap-list)\" ] && [ -z \"\$(jftest status)\" ]"
