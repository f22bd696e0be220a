# With --fs the ceiling counts from the filesystem freeze for every hold of
# the device, also one that joins later: writers wait from then.  A join
# used to count from when the device began holding, after the filesystem's
# sync (here made 5 s long), and held writes past the ceiling.
. ./lib.sh

have_knobs || { not_ok "a test build with debugfs knobs"; exit 0; }
two_partitions /dev/vdc || { not_ok "partitions on vdc"; exit 0; }
modprobe ext4 2>/dev/null
mkfs.ext4 -q -F /dev/vdc1 32M >/dev/null 2>&1 && mkdir -p /mnt/fs &&
	mount -t ext4 /dev/vdc1 /mnt/fs || { not_ok "ext4 on vdc1"; exit 0; }
short_ceiling 10
knob delay_attach_ms 5000
t0=$(now_ms)
check "freeze --fs of the filesystem" jetfreeze freeze --fs -t 10 /mnt/fs
knob delay_attach_ms 0
jftest hold -t 10000 -r "$T/rb" -u "$T/never" /dev/vdc1 >"$T/b.out" &
b=$!
wait_for 20 test -f "$T/rb"
# past the filesystem's end
bg_write w /dev/vdc1 $((48 << 20))
check "a write to the partition is held" held w 0.5
wait_for 30 finished w
waited=$(($(cat "$T/w.ms") - t0))
check "it went out by the ceiling from the filesystem freeze (${waited} ms; ceiling 10 s)" \
	test $waited -le 11000
touch "$T/never"
wait $b
jetfreeze thaw /mnt/fs >/dev/null 2>&1
umount /mnt/fs
wipefs -qa /dev/vdc >/dev/null 2>&1
