# With --fs (FREEZE_FS) the held image is that of a cleanly frozen
# filesystem: it needs no journal replay.  Without it, it is what a power
# cut leaves: a journal to replay.  The freeze returns at once either way,
# and the filesystem thaws and takes writes again after the hold.
. ./lib.sh

truncate -s 48M /tmp/fs.img
loop=$(new_loop /tmp/fs.img) || { not_ok "loop device"; exit 0; }
mkfs_mount "$loop" /mnt/fs || { not_ok "ext4 on $loop"; exit 0; }
(while [ ! -f "$T/stop" ]; do
	echo x >>/mnt/fs/log
	dd if=/dev/zero of=/mnt/fs/f bs=4k count=16 conv=notrunc 2>/dev/null
	sync /mnt/fs/log 2>/dev/null
done) &
writer=$!
sleep 1

# image: copy the frozen device with O_DIRECT (reads pass)
image() { dd if="$loop" of="$1" bs=1M iflag=direct status=none; }

check "plain freeze" jetfreeze freeze -t 30 /mnt/fs
image /tmp/plain.img
check "thaw" jetfreeze thaw
check "without --fs the image's journal needs replay" \
	sh -c 'dumpe2fs -h /tmp/plain.img 2>/dev/null | grep -q needs_recovery'

t0=$(now_ms)
check "freeze --fs" jetfreeze freeze --fs -t 30 /mnt/fs
check "returns at once ($(($(now_ms) - t0)) ms)" test $(($(now_ms) - t0)) -lt 5000
image /tmp/fs-frozen.img
check "the image needs no journal replay" \
	sh -c '! dumpe2fs -h /tmp/fs-frozen.img 2>/dev/null | grep -q needs_recovery'
check "and is clean for e2fsck -fn" e2fsck -fn /tmp/fs-frozen.img
check "thaw" jetfreeze thaw
check "the filesystem takes writes again" timeout 20 sh -c 'echo y >/mnt/fs/after && sync /mnt/fs/after'
touch "$T/stop"
wait $writer

# refused while another hold holds the device: its filesystem could not sync
jftest hold -t 30000 -r "$T/r" -u "$T/g" "$loop" >"$T/h.out" &
h=$!
wait_for 20 test -f "$T/r"
jetfreeze freeze --fs -t 10 /mnt/fs 2>"$T/err"
expect "--fs on a device another hold holds: refused" "$?" 1
check "saying why" grep -q "held by another hold" "$T/err"
touch "$T/g"
wait $h
umount /mnt/fs
losetup -d "$loop"
rm -f /tmp/fs.img /tmp/plain.img /tmp/fs-frozen.img
