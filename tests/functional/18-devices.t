# Other kinds of block device: loop, NVMe, brd (bio-based, completes every
# write before returning), md raid1 (bio-based with accounting).
. ./lib.sh

hold_and_write() {	# NAME DEV
	rm -f "$T/r" "$T/g"
	jftest hold -t 30000 -r "$T/r" -u "$T/g" "$2" >"$T/$1.out" &
	_h=$!
	if ! wait_for 20 test -f "$T/r"; then
		not_ok "$1: freeze ($(cat "$T/$1.out"))"
		touch "$T/g"
		wait $_h
		return
	fi
	bg_write "$1" "$2" 0
	check "$1: write held" held "$1" 1
	check "$1: read passes" jftest read -d -s 4096 "$2" 65536
	touch "$T/g"; wait $_h
	check "$1: write lands after the thaw" wait_for 10 finished_ok "$1"
}

dd if=/dev/zero of=/tmp/loop.img bs=1M count=32 2>/dev/null
loop=$(new_loop /tmp/loop.img)
hold_and_write loop "$loop"
losetup -d "$loop"

if [ -b /dev/nvme0n1 ]; then
	hold_and_write nvme /dev/nvme0n1
else
	skip "nvme" "no /dev/nvme0n1"
fi

if modprobe brd rd_nr=1 rd_size=16384 2>/dev/null && [ -b /dev/ram0 ]; then
	hold_and_write brd /dev/ram0
	rmmod brd
else
	skip "brd" "no brd module"
fi

if command -v mdadm >/dev/null && modprobe raid1 2>/dev/null; then
	yes | mdadm --create /dev/md0 --run --level=1 --raid-devices=2 \
		--metadata=1.2 --assume-clean /dev/vdb /dev/vdc >/dev/null 2>&1
	if [ -b /dev/md0 ]; then
		hold_and_write md /dev/md0
		check "md and its members, through the CLI" jetfreeze run /dev/md0 -- sh -c "jftest status | grep -c . | grep -q 3"
		mdadm --stop /dev/md0 >/dev/null 2>&1
		mdadm --zero-superblock /dev/vdb /dev/vdc >/dev/null 2>&1
	else
		not_ok "md raid1 on vdb+vdc"
	fi
else
	skip "md" "no mdadm or raid1"
fi
