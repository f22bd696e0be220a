# A freeze writes back the devices' own page cache before it holds.  Linux
# writes dirty cached pages back before an O_DIRECT read of their range, so
# without that, such a read would wait for the thaw.
. ./lib.sh

# the last close of a block device writes its cache back: keep it open
exec 3</dev/vdc
dd if=/dev/urandom of=/dev/vdc bs=4096 count=16 2>/dev/null
echo "# dirty pages: $(awk '/^Dirty:/ { print $2, $3 }' /proc/meminfo)"
jftest hold -t 20000 -r "$T/r" -u "$T/g" /dev/vdc >"$T/h.out" &
h=$!
wait_for 20 test -f "$T/r"
ms=$(timeout 10 jftest read -d -s 65536 /dev/vdc 0)
check "an O_DIRECT read of that range returns at once (${ms:-killed after 10 s} ms)" \
	test "${ms%.*}" -lt 2000 2>/dev/null
touch "$T/g"
wait $h
check "the hold was not broken" grep -q "broken=0" "$T/h.out"
exec 3<&-
