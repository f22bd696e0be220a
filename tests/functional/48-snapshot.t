# Copy-on-write snapshots at the ioctl level: the image is the origin at the
# freeze point, byte for byte, after writes across chunk boundaries,
# discards and write-zeroes on the origin; failure (diff storage full) is
# loud and harmless; lifetime; bad input gets a clean errno.
. ./lib.sh

MIB=64
img_of() { sed -n 's/^image [0-9:]* \([^ ]*\) .*/\1/p' "$1" | head -n 1; }
sha() { dd if="$1" bs=1M count="${2:-$MIB}" 2>/dev/null | sha256sum | cut -d' ' -f1; }

# the origin's content at the freeze point
dd if=/dev/urandom of="$T/before" bs=1M count=$MIB 2>/dev/null
dd if="$T/before" of=/dev/vdb bs=1M oflag=direct 2>/dev/null
want=$(sha "$T/before")

jftest snap -D /dev/vdc -n t1 -u "$T/g1" /dev/vdb >"$T/s1.out" 2>&1 &
s1=$!
wait_for 20 grep -q '^image ' "$T/s1.out"
check "create: a snapshot of vdb with vdc as diff storage" grep -q '^snap=ok name=t1' "$T/s1.out"
image=/dev/$(img_of "$T/s1.out")
check "its image node appears ($image)" wait_for 10 test -b "$image"
expect "the image is the size of the origin" "$(blockdev --getsz "$image")" "$(blockdev --getsz /dev/vdb)"
expect "the image reads the origin's content" "$(sha "$image")" "$want"

# writes: unaligned to chunks, across a boundary, big, discard, zeroes
printf 'x%.0s' $(seq 1 4096) >"$T/x4k"
dd if="$T/x4k" of=/dev/vdb bs=4096 seek=1 conv=notrunc oflag=direct 2>/dev/null
dd if=/dev/urandom of=/dev/vdb bs=4096 seek=15 count=2 oflag=direct 2>/dev/null
dd if=/dev/urandom of=/dev/vdb bs=1M seek=8 count=3 oflag=direct 2>/dev/null
blkdiscard -o $((20 << 20)) -l $((2 << 20)) /dev/vdb 2>/dev/null
zero=0
if [ "$(cat /sys/block/vdb/queue/write_zeroes_max_bytes)" -gt 0 ]; then
	zero=1
	blkdiscard -z -o $((30 << 20)) -l $((1 << 20)) /dev/vdb 2>/dev/null
fi
dd if=/dev/urandom of=/dev/vdb bs=512 seek=100000 count=1 oflag=direct,sync 2>/dev/null
check "the origin changed" test "$(sha /dev/vdb)" != "$want"
expect "the image did not" "$(sha "$image")" "$want"
echo 3 >/proc/sys/vm/drop_caches
expect "nor from disk (caches dropped)" "$(sha "$image")" "$want"
[ $zero = 1 ] || skip "write-zeroes on the origin" "vdb does not offer it"

line=$(jftest snap-list)
pres=$(echo "$line" | sed -n 's/.* preserved=\([0-9]*\).*/\1/p')
cow=$(echo "$line" | sed -n 's/.* cow_bios=\([0-9]*\).*/\1/p')
check "the list counts copies ($line)" test "${pres:-0}" -ge 50 -a "${cow:-0}" -ge 5
check "state active, attached" sh -c "echo '$line' | grep -q 'state=1 error=0 flags=4 '"

# rewrites of preserved chunks pass; the image stays
dd if=/dev/urandom of=/dev/vdb bs=1M seek=8 count=3 oflag=direct 2>/dev/null
expect "rewrites leave the image alone" "$(sha "$image")" "$want"

check "rmmod is refused while a snapshot exists" sh -c '! rmmod jetfreeze 2>/dev/null'
modprobe ext4 2>/dev/null
mkfs_mount /dev/nvme0n1 "$T/fs"
truncate -s 8M "$T/fs/d8"
o=$(jftest snap -D "$T/fs/d8" /dev/vdb; echo rc=$?)
check "a device in another snapshot: EBUSY" sh -c "echo '$o' | grep -q 'snap=EBUSY'"

touch "$T/g1"
wait $s1
check "closing the file deletes the snapshot" wait_for 10 sh -c "[ -z \"\$(jftest snap-list)\" ]"
check "and its image" wait_for 10 test ! -b "$image"

# a frozen session's snapshot, at its freeze point
dd if="$T/before" of=/dev/vdb bs=1M oflag=direct 2>/dev/null
o=$(jftest snap -f -D /dev/vdc -n t2 /dev/vdb)
check "a snapshot of a frozen session's devices ($o)" sh -c "echo '$o' | grep -q 'snap=ok name=t2' && echo '$o' | grep -q 'thaw=ok broken=0'"

# PERSIST: outlives its file, until deleted
o=$(jftest snap -p -D /dev/vdc -n keep /dev/vdb)
check "a PERSIST snapshot is made ($o)" sh -c "echo '$o' | grep -q 'snap=ok name=keep'"
image=/dev/$(echo "$o" | sed -n 's/^image [0-9:]* \([^ ]*\) .*/\1/p')
dd if=/dev/urandom of=/dev/vdb bs=1M seek=1 count=2 oflag=direct 2>/dev/null
wait_for 10 test -b "$image"
expect "it outlives its file, and its image is right" "$(sha "$image")" "$want"
check "the list shows it persistent and unowned, with an expiry" sh -c "jftest snap-list | grep -q 'snap=keep .* flags=1 .*expires_ms=[1-9]'"
expect "delete" "$(jftest snap-delete keep)" "delete=ok"
expect "delete again: ENOENT" "$(jftest snap-delete keep)" "delete=ENOENT"

# diff storage full: the snapshot fails, the origin is unharmed
truncate -s 1M "$T/small"
small=$(new_loop "$T/small")
jftest snap -D "$small" -n full -u "$T/g3" /dev/vdb >"$T/s3.out" 2>&1 &
s3=$!
wait_for 20 grep -q '^image ' "$T/s3.out"
image=/dev/$(img_of "$T/s3.out")
wait_for 10 test -b "$image"
dd if=/dev/urandom of="$T/after" bs=1M count=4 2>/dev/null
dd if="$T/after" of=/dev/vdb bs=1M seek=40 oflag=direct 2>/dev/null
expect "origin writes go on when the diff storage is full" "$?" 0
expect "and land" "$(dd if=/dev/vdb bs=1M skip=40 count=4 iflag=direct 2>/dev/null | sha256sum | cut -d' ' -f1)" \
	"$(sha256sum <"$T/after" | cut -d' ' -f1)"
check "the snapshot failed with ENOSPC" sh -c "jftest snap-list | grep -q 'snap=full .*state=2 error=28 '"
check "its image fails with EIO" sh -c "! dd if=$image of=/dev/null bs=4096 count=1 iflag=direct 2>/dev/null"
check "the kernel log says why" sh -c "dmesg | grep -q 'snapshot full failed: its diff storage is full'"
touch "$T/g3"
wait $s3
losetup -d "$small"

# bad input
o=$(jftest snap -D /dev/vdb /dev/vdb)
check "diff storage on the origin: EXDEV" sh -c "echo '$o' | grep -q 'snap=EXDEV .*failed_index=-2147483648'"
o=$(jftest snap -D /tmp /dev/vdb)
check "a directory as diff storage: ENOTBLK" sh -c "echo '$o' | grep -q 'snap=ENOTBLK'"
o=$(jftest snap -R /dev/vdc /dev/vdb)
check "a diff storage opened read-only: EROFS ($o)" sh -c "echo '$o' | grep -q 'snap=EROFS'"
o=$(jftest snap -D /dev/vdc -D /dev/vdc /dev/vdb)
check "the same diff storage twice: EINVAL ($o)" sh -c "echo '$o' | grep -q 'snap=EINVAL'"
o=$(jftest snap /dev/vdb)
check "no diff storage: EINVAL" sh -c "echo '$o' | grep -q 'snap=EINVAL'"
truncate -s 32K "$T/fs/tiny"
o=$(jftest snap -D "$T/fs/tiny" /dev/vdb)
check "diff storage smaller than a chunk: ENOSPC" sh -c "echo '$o' | grep -q 'snap=ENOSPC'"
o=$(jftest snap -c 3 -D /dev/vdc /dev/vdb)
check "a chunk size that is no power of two: EINVAL" sh -c "echo '$o' | grep -q 'snap=EINVAL'"
o=$(jftest snap -n .bad -D /dev/vdc /dev/vdb)
check "a bad name: EINVAL" sh -c "echo '$o' | grep -q 'snap=EINVAL'"
jftest snap -D /dev/vdc -n same -u "$T/g4" /dev/vdb >"$T/s4.out" 2>&1 &
s4=$!
wait_for 20 grep -q '^snap=' "$T/s4.out"
truncate -s 16M "$T/fs/origin"
lo=$(new_loop "$T/fs/origin")
o=$(jftest snap -n same -D "$T/fs/d8" "$lo")
check "a name in use: EEXIST, no index ($o)" sh -c "echo '$o' | grep -q 'snap=EEXIST.*failed_index=-1'"
o=$(jftest snap -D "$T/fs/d8" /dev/vdc)
check "another snapshot's diff storage as origin: EBUSY" sh -c "echo '$o' | grep -q 'snap=EBUSY'"
truncate -s 16M "$T/fs/origin2"
lo2=$(new_loop "$T/fs/origin2")
jftest snap -n hasd8 -D "$T/fs/d8" -u "$T/g8" "$lo" >"$T/s8.out" 2>&1 &
s8=$!
wait_for 20 grep -q '^snap=' "$T/s8.out"
o=$(jftest snap -D "$T/fs/d8" "$lo2")
check "a diff storage another snapshot writes: EBUSY ($o)" sh -c "echo '$o' | grep -q 'snap=EBUSY'"
touch "$T/g8"
wait $s8
losetup -d "$lo2"
touch "$T/g4"
wait $s4

# a regular file as diff storage
dd if=/dev/urandom of="$lo" bs=1M count=16 oflag=direct 2>/dev/null
lwant=$(sha "$lo" 16)
jftest snap -D "$T/fs/d8" -n file -u "$T/g5" "$lo" >"$T/s5.out" 2>&1 &
s5=$!
wait_for 20 grep -q '^snap=' "$T/s5.out"
image=/dev/$(img_of "$T/s5.out")
wait_for 10 test -b "$image"
dd if=/dev/urandom of="$lo" bs=64K seek=3 count=40 oflag=direct 2>/dev/null
expect "a file as diff storage: the image is right" "$(sha "$image" 16)" "$lwant"
touch "$T/g5"
wait $s5
losetup -d "$lo"
umount "$T/fs"
check "nothing is left" sh -c "[ -z \"\$(jftest snap-list)\" ] && [ -z \"\$(jftest status)\" ]"
