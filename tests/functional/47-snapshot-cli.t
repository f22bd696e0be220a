# jetfreeze(8)'s snapshot commands end to end: create, what its image
# reads, list (text and JSON), delete, run with its environment and exit
# statuses, a failed snapshot (exit 3), and the bad input the tool refuses
# before the module sees it.
#
# vdb is the origin (raw); vdc1 is diff storage as a block device, vdc2
# holds an ext4 with diff storage files.
. ./lib.sh

MIB=16
BYTES=$((MIB << 20))

# fill BYTE FILE: MIB MiB of BYTE (octal, as tr takes it) into FILE
fill() { dd if=/dev/zero bs=1M count=$MIB 2>/dev/null | tr '\000' "$1" >"$2"; }
# put FILE DEV: FILE onto the start of DEV, past the page cache
put() { dd if="$1" of="$2" bs=1M oflag=direct conv=fsync,notrunc 2>/dev/null; }
# same DEV FILE [SKIP_MIB]: DEV from SKIP_MIB on reads as FILE, byte for byte
same() {
	dd if="$1" bs=1M skip="${3:-0}" count=$MIB iflag=direct 2>/dev/null |
		cmp -s - "$2"
}
# line N FILE
line() { sed -n "${1}p" "$2"; }
no_snapshots() { jetfreeze snapshot list --json | grep -q '"snapshots": \[\]'; }

if ! jetfreeze version 2>/dev/null | grep -q ' snapshot'; then
	skip "snapshot commands" "the module does not report JETFREEZE_FEAT_SNAPSHOT"
	jetfreeze snapshot list 2>"$T/err"
	expect "a module without snapshots: exit 2" "$?" 2
	check "saying it is too old" grep -Eq "too old|not there" "$T/err"
	exit 0
fi

two_partitions /dev/vdc || { not_ok "partition vdc"; exit 0; }
mkfs_mount /dev/vdc2 /mnt/d || { not_ok "ext4 on vdc2"; exit 0; }
fallocate -l 64M /mnt/d/cow || { not_ok "fallocate"; exit 0; }
fallocate -l 2M /mnt/d/small || { not_ok "fallocate"; exit 0; }
fill '\101' "$T/a"		# A
fill '\102' "$T/b"		# B
dd if=/dev/urandom of="$T/c" bs=1M count=$MIB 2>/dev/null

# ---- create, read the image, list, delete ----------------------------------

put "$T/a" /dev/vdb
dd if="$T/c" of=/dev/vdb bs=1M seek=$MIB oflag=direct conv=fsync,notrunc 2>/dev/null
jetfreeze snapshot create --name cli1 --diff-storage /dev/vdc1 /dev/vdb \
	>"$T/create.out" 2>"$T/create.err"
expect "create" "$?" 0
expect "prints the name first" "$(line 1 "$T/create.out")" cli1
origin=$(line 2 "$T/create.out" | cut -d' ' -f1)
image=$(line 2 "$T/create.out" | cut -d' ' -f2)
expect "then the origin" "$origin" /dev/vdb
case $image in
/dev/jfsnap*) ok "and its image ($image)" ;;
*) not_ok "and its image: '$(cat "$T/create.out")'" ;;
esac
check "one line per origin" test "$(wc -l <"$T/create.out")" = 2
check "the image node is there when create returns" test -b "$image"
check "nothing on stderr" test ! -s "$T/create.err"
check "nothing stays frozen" nothing_frozen

put "$T/b" /dev/vdb
check "the origin reads the new content" same /dev/vdb "$T/b"
check "the image reads the content at the freeze point, byte for byte" same "$image" "$T/a"
check "unchanged chunks read through to the origin" same "$image" "$T/c" $MIB
check "the image is read-only" sh -c "! dd if=$T/b of=$image bs=4k count=1 oflag=direct 2>/dev/null"

jetfreeze snapshot list >"$T/list"
expect "list" "$?" 0
check "list shows it active" grep -q "^cli1 *active .*/dev/vdb *$image " "$T/list"
jetfreeze snapshot list --json >"$T/list.json"
check "list --json: the name" grep -q '"name": "cli1"' "$T/list.json"
check "list --json: the state" grep -q '"state": "active"' "$T/list.json"
check "list --json: no error" grep -q '"error": null' "$T/list.json"
check "list --json: persist is a boolean" grep -q '"persist": true,' "$T/list.json"
check "list --json: writable is a boolean" grep -q '"writable": false,' "$T/list.json"
check "list --json: the origin" grep -q '"origin": "/dev/vdb"' "$T/list.json"
check "list --json: the image" grep -q "\"image\": \"$image\"" "$T/list.json"
check "list --json: chunks were preserved" grep -Eq '"chunks_preserved": [1-9]' "$T/list.json"
check "list --json: writes waited for copies" grep -Eq '"cow_bios": [1-9]' "$T/list.json"
check "list --json: diff storage used" grep -Eq '"diff_used": [1-9]' "$T/list.json"
check "list --json: diff storage size" grep -Eq '"diff_size": [1-9]' "$T/list.json"
all_keys() {
	for _k in id created created_ns expires_ms chunk_bytes memory_bytes \
		hold_ns attached devices cow_wait_ns; do
		grep -q "\"$_k\": " "$1" || { echo "no $_k"; return 1; }
	done
}
check "list --json has the other fields" all_keys "$T/list.json"
expect "list NAME of an active snapshot" "$(jetfreeze snapshot list cli1 >/dev/null; echo $?)" 0

if [ -b /dev/nvme0n1 ]; then
	jetfreeze snapshot create --name cli1 --diff-storage /mnt/d/cow \
		/dev/nvme0n1 2>"$T/err"
	expect "a name in use" "$?" 1
	check "is said to be" grep -q "exists already" "$T/err"
else
	skip "a name in use" "no nvme0n1"
fi
jetfreeze snapshot create --diff-storage /mnt/d/cow /dev/vdb 2>"$T/err"
expect "an origin already in a snapshot" "$?" 1
check "is said to be" grep -q "in another snapshot" "$T/err"

check "delete" jetfreeze snapshot delete cli1
check "the image node goes" wait_for 5 test ! -b "$image"
check "the snapshot is gone" no_snapshots
jetfreeze snapshot delete cli1 2>"$T/err"
expect "delete of a snapshot that is gone" "$?" 1
check "is said to be" grep -q "no snapshot named 'cli1'" "$T/err"
jetfreeze snapshot list cli1 2>/dev/null
expect "list NAME of a snapshot that is gone" "$?" 1

# --json, a file as diff storage, an origin on a partition of the disk
# that holds another partition with the diff storage
echo data >/mnt/d/file && sync
jetfreeze snapshot create --json --writable --chunk 128 --diff-storage /dev/vdc1 \
	/mnt/d >"$T/c.json" 2>"$T/err"
expect "create --json of a path, diff storage on another partition" "$?" 0
check "create --json: the state" grep -q '"state": "active"' "$T/c.json"
check "create --json: writable" grep -q '"writable": true' "$T/c.json"
check "create --json: the path's device is the origin" grep -q '"origin": "/dev/vdc2"' "$T/c.json"
name=$(sed -n 's/^  "name": "\(.*\)",$/\1/p' "$T/c.json")
image=$(sed -n 's/^ *"image": "\(.*\)"$/\1/p' "$T/c.json")
check "the image node is there" test -b "$image"
check "the image is writable" dd if=/dev/zero of="$image" bs=4k count=1 seek=1000 oflag=direct conv=notrunc
check "the chunk size is listed" sh -c "jetfreeze snapshot list --json $name | grep -q '\"chunk_bytes\": 131072'"
check "delete it" jetfreeze snapshot delete "$name"

# ---- run -------------------------------------------------------------------

put "$T/a" /dev/vdb
jetfreeze snapshot run --diff-storage /mnt/d/cow /dev/vdb -- sh -c '
	echo "$JETFREEZE_SNAPSHOT|$JETFREEZE_IMAGES" >"$1/env"
	img=${JETFREEZE_IMAGES#*=}
	dd if="$1/b" of=/dev/vdb bs=1M oflag=direct conv=fsync,notrunc 2>/dev/null &&
	dd if="$img" bs=1M count=16 iflag=direct 2>/dev/null | cmp -s - "$1/a"' \
	sh "$T" 2>"$T/err"
expect "run: the command reads the freeze point from the image" "$?" 0
check "JETFREEZE_SNAPSHOT and JETFREEZE_IMAGES" grep -Eq '^[A-Za-z0-9._-]+\|/dev/vdb=/dev/jfsnap[^ ]+$' "$T/env"
check "run deletes its snapshot" no_snapshots
check "the origin has what the command wrote" same /dev/vdb "$T/b"
expect "run passes the command's exit status" \
	"$(jetfreeze snapshot run --diff-storage /mnt/d/cow /dev/vdb -- sh -c 'exit 5'; echo $?)" 5
expect "run: command not found" \
	"$(jetfreeze snapshot run --diff-storage /mnt/d/cow /dev/vdb -- /nonexistent 2>/dev/null; echo $?)" 127
check "and deletes the snapshot either way" no_snapshots

# the snapshot of run belongs to its process
rm -f "$T/cmd.pid"
jetfreeze snapshot run --name held --diff-storage /mnt/d/cow /dev/vdb -- \
	sh -c 'echo $$ >"$1/cmd.pid"; exec sleep 60' sh "$T" &
r=$!
wait_for 20 test -s "$T/cmd.pid"
check "run's snapshot is listed as owned" sh -c "jetfreeze snapshot list --json held | grep -q '\"attached\": true'"
kill -KILL "$r"
wait "$r" 2>/dev/null
check "a killed run's snapshot is deleted" wait_for 10 no_snapshots
kill "$(cat "$T/cmd.pid")" 2>/dev/null

# ---- a failed snapshot -----------------------------------------------------

put "$T/a" /dev/vdb
jetfreeze snapshot create --name small --chunk 64 --diff-storage /mnt/d/small /dev/vdb >"$T/s.out"
expect "create with a small diff storage" "$?" 0
image=$(line 2 "$T/s.out" | cut -d' ' -f2)
check "the origin takes writes past the diff storage's size" put "$T/b" /dev/vdb
check "and has them" same /dev/vdb "$T/b"
jetfreeze snapshot list small >"$T/s.list" 2>"$T/err"
expect "list NAME of the failed snapshot" "$?" 3
check "says it failed" grep -q "failed" "$T/err"
check "the table says failed" grep -q "^small *failed" "$T/s.list"
jetfreeze snapshot list --json >"$T/s.json"
expect "list of all snapshots, one failed" "$?" 0
check "list --json: failed" grep -q '"state": "failed"' "$T/s.json"
check "list --json: ENOSPC" grep -q '"error": "ENOSPC"' "$T/s.json"
check "the image fails its reads" sh -c "! dd if=$image of=/dev/null bs=1M count=$MIB iflag=direct 2>/dev/null"
check "delete the failed snapshot" jetfreeze snapshot delete small

put "$T/a" /dev/vdb
jetfreeze snapshot run --diff-storage /mnt/d/small /dev/vdb -- \
	dd if="$T/b" of=/dev/vdb bs=1M oflag=direct conv=fsync,notrunc 2>"$T/err"
expect "run exits 3 when its snapshot failed" "$?" 3
check "and says so" grep -q "failed while the command ran" "$T/err"
check "nothing is left" no_snapshots

# ---- bad input -------------------------------------------------------------

# bad EXIT WHAT NEEDLE ARG...: jetfreeze snapshot create ARG... exits
# with EXIT, says NEEDLE, and leaves nothing behind
bad() {
	_want=$1 _what=$2 _needle=$3
	shift 3
	jetfreeze snapshot create "$@" >/dev/null 2>"$T/bad"
	_rc=$?
	if [ "$_rc" = "$_want" ] && grep -q -- "$_needle" "$T/bad" &&
		no_snapshots && nothing_frozen; then
		ok "$_what"
	else
		not_ok "$_what: exit $_rc: $(tr '\n' ' ' <"$T/bad")"
	fi
}

bad 1 "no diff storage" "no --diff-storage" /dev/vdb
bad 1 "a missing diff storage file" "no such file" --diff-storage /mnt/d/none /dev/vdb
bad 1 "a directory as diff storage" "a directory" --diff-storage /mnt/d /dev/vdb
bad 1 "a character device as diff storage" "a character device" --diff-storage /dev/null /dev/vdb
bad 1 "the origin as its own diff storage" "lies on vdb" --diff-storage /dev/vdb /dev/vdb
bad 1 "diff storage on the origin's filesystem" "lies on vdc2" --diff-storage /mnt/d/cow /mnt/d
bad 1 "diff storage on a partition of the origin disk" "lies on vdc" --diff-storage /mnt/d/cow /dev/vdc
bad 1 "diff storage on the disk of an origin partition" "lies on vdc2" --diff-storage /dev/vdc /dev/vdc2
echo "0 $((MIB * 2048)) linear /dev/vdb 0" | dmsetup create jfcli &&
	bad 1 "diff storage stacked on the origin" "lies on vdb" --diff-storage "$(dm_node jfcli)" /dev/vdb
dmsetup remove jfcli 2>/dev/null
bad 1 "the same diff storage twice" "given twice" --diff-storage /mnt/d/cow --diff-storage /mnt/d/cow /dev/vdb
bad 1 "a bad name" "invalid snapshot name" --name -x --diff-storage /mnt/d/cow /dev/vdb
bad 1 "a bad chunk size" "invalid chunk size" --chunk 3 --diff-storage /mnt/d/cow /dev/vdb
bad 1 "a path with no block device under it" "no block device" --diff-storage /mnt/d/cow /proc

# ---- privileges ------------------------------------------------------------

if setpriv --reuid=65534 --regid=65534 --clear-groups true 2>/dev/null; then
	setpriv --reuid=65534 --regid=65534 --clear-groups \
		jetfreeze snapshot create --diff-storage /mnt/d/cow /dev/vdb 2>"$T/err"
	expect "an ordinary user cannot create" "$?" 1
	check "and is told why" grep -qi "permission denied" "$T/err"
else
	skip "an ordinary user cannot create" "no setpriv in the guest"
fi
if setpriv --bounding-set=-sys_admin --inh-caps=-sys_admin true 2>/dev/null; then
	setpriv --bounding-set=-sys_admin --inh-caps=-sys_admin \
		jetfreeze snapshot create --diff-storage /mnt/d/cow /dev/vdb 2>"$T/err"
	expect "root without CAP_SYS_ADMIN cannot create" "$?" 1
	check "and is told why" grep -q "needs CAP_SYS_ADMIN" "$T/err"
	check "but can list" setpriv --bounding-set=-sys_admin --inh-caps=-sys_admin \
		jetfreeze snapshot list
	jetfreeze snapshot create --name priv --diff-storage /mnt/d/cow /dev/vdb >/dev/null
	setpriv --bounding-set=-sys_admin --inh-caps=-sys_admin \
		jetfreeze snapshot delete priv 2>"$T/err"
	expect "root without CAP_SYS_ADMIN cannot delete" "$?" 1
	check "and it stays" jetfreeze snapshot list priv
	jetfreeze snapshot delete priv
else
	skip "root without CAP_SYS_ADMIN cannot create" "no setpriv with --bounding-set in the guest"
fi
check "nothing is left" no_snapshots

umount /mnt/d

# ---- without the module ----------------------------------------------------

rmmod jetfreeze
jetfreeze snapshot list 2>/dev/null
expect "list exits 2 without the module" "$?" 2
jetfreeze snapshot create --diff-storage /dev/vdc1 /dev/vdb 2>/dev/null
expect "create exits 2 without the module" "$?" 2
modprobe jetfreeze
