# SPDX-License-Identifier: GPL-2.0-only
#
# Helpers for the VM test cases (*.t), sourced by each; run by dash, with
# the real tools the rig copies in ahead of busybox.
# A case prints TAP lines through ok/not_ok/skip; the suite counts them.

JF_TEST=${JF_TEST:-$(basename "$0" .t)}
T=${T:-/tmp/jf.$JF_TEST}
rm -rf "$T"
mkdir -p "$T"

ok() { echo "ok - $JF_TEST: $*"; }
not_ok() { echo "not ok - $JF_TEST: $*"; }
skip() { echo "ok - $JF_TEST: $1 # SKIP ${2:-}"; }

# check NAME CMD...: ok when CMD succeeds, else not ok with its output
check() {
	_name=$1
	shift
	if "$@" >"$T/check.out" 2>&1; then
		ok "$_name"
	else
		not_ok "$_name (exit $?: $(tail -c 300 "$T/check.out" | tr '\n' ' '))"
	fi
}

# expect NAME GOT WANT
expect() {
	if [ "$2" = "$3" ]; then
		ok "$1"
	else
		not_ok "$1: got '$2', want '$3'"
	fi
}

# milliseconds since boot
now_ms() { awk '{ printf "%d\n", $1 * 1000 }' /proc/uptime; }

# wait_for SECONDS CMD...: poll CMD every 50 ms; false on timeout
wait_for() {
	_limit=$(($(now_ms) + $1 * 1000))
	shift
	while ! "$@" 2>/dev/null; do
		[ "$(now_ms)" -ge "$_limit" ] && return 1
		sleep 0.05
	done
	return 0
}

# bg_write TAG DEV OFFSET [jftest write options]: an O_DIRECT write in the
# background; $T/TAG.rc appears when it finished, with its exit status,
# and $T/TAG.ms with the time (uptime, ms) it finished, as jftest saw it.
bg_write() {
	_tag=$1 _dev=$2 _off=$3
	shift 3
	rm -f "$T/$_tag.rc" "$T/$_tag.ms"
	(
		jftest write -d "$@" "$_dev" "$_off" >"$T/$_tag.out" 2>&1
		_rc=$?
		_at=$(sed -n 's/^ok at=\([0-9]*\)$/\1/p' "$T/$_tag.out")
		echo "${_at:-$(now_ms)}" >"$T/$_tag.ms"
		echo $_rc >"$T/$_tag.rc"
	) &
}

# kv NAME WHAT FILE: the value of NAME=... on the last line of FILE that
# starts with WHAT= (kv at freeze F: when the freeze of jftest hold returned)
kv() { sed -n "/^$2=/s/.* $1=\([^ ]*\).*/\1/p" "$3" | tail -n 1; }

# bg_writes PREFIX N DEV STRIDE [jftest write options]: N writes as by
# bg_write, tagged PREFIX1..PREFIXN, at offsets STRIDE, 2 STRIDE...; sets
# $tags to their tags
bg_writes() {
	_p=$1 _n=$2 _d=$3 _st=$4
	shift 4
	tags=
	_i=1
	while [ "$_i" -le "$_n" ]; do
		bg_write "$_p$_i" "$_d" $((_i * _st)) "$@"
		tags="$tags $_p$_i"
		_i=$((_i + 1))
	done
}

finished() { [ -f "$T/$1.rc" ]; }
finished_ok() { [ -f "$T/$1.rc" ] && [ "$(cat "$T/$1.rc")" = 0 ]; }

# held TAG [SECONDS]: the write is still waiting after SECONDS (default 1)
held() {
	sleep "${2:-1}"
	! finished "$1"
}

# nothing_frozen: no hold left anywhere
nothing_frozen() { [ -z "$(jftest status)" ]; }

# frozen_count: number of status entries
frozen_count() { jftest status | wc -l; }

# engine_frozen FN ARG...: jftest-lib-engine ARG... in the background, its
# output in $T/out and $T/err; FN runs once its Freeze returned, then the
# engine thaws and ends, and this returns when it has exited
engine_frozen() {
	_fn=$1
	shift
	rm -f "$T/ready" "$T/go"
	jftest-lib-engine -r "$T/ready" -u "$T/go" "$@" >"$T/out" 2>"$T/err" &
	_pid=$!
	if wait_for 90 test -f "$T/ready"; then
		"$_fn"
	else
		not_ok "the engine did not freeze: $(tr '\n' ' ' <"$T/out") $(tail -c 300 "$T/err")"
	fi
	touch "$T/go"
	wait "$_pid"
}

# nullb_new NAME [attr=value]...: a configfs null_blk device; prints its
# node, /dev/NAME (kernels name it after the configfs directory)
nullb_new() {
	modprobe null_blk nr_devices=0 >/dev/null 2>&1
	_d=/sys/kernel/config/nullb/$1
	_dev=/dev/$1
	shift
	mkdir "$_d" || return 1
	for _kv in "$@"; do
		echo "${_kv#*=}" >"$_d/${_kv%%=*}" || return 1
	done
	echo 1 >"$_d/power" || return 1
	[ -b "$_dev" ] || _dev=/dev/nullb$(cat "$_d/index")
	wait_for 5 test -b "$_dev" || return 1
	echo "$_dev"
}

nullb_del() {
	_d=/sys/kernel/config/nullb/$1
	[ -d "$_d" ] || return 0
	echo 0 >"$_d/power" 2>/dev/null
	rmdir "$_d"
}

# two_partitions DISK: DISK1 (first half) and DISK2 (second half)
two_partitions() {
	_half=$(($(blockdev --getsz "$1") / 2))
	printf 'label: dos\nstart=2048, size=%d, type=83\nstart=%d, type=83\n' \
		$((_half - 2048)) "$_half" | sfdisk -q "$1" >/dev/null || return 1
	wait_for 5 test -b "${1}1" && wait_for 5 test -b "${1}2"
}

# mkfs_mount DEV DIR: a fresh ext4 on DEV, mounted on DIR
mkfs_mount() {
	modprobe ext4 2>/dev/null
	mkfs.ext4 -q -F "$1" >/dev/null 2>&1 && mkdir -p "$2" &&
		mount -t ext4 "$1" "$2"
}

# new_loop FILE: attach FILE to a free loop device, print the device
new_loop() {
	_l=$(losetup -f) && losetup "$_l" "$1" && echo "$_l"
}

# host_sha DISK: sha256 of the host-side image behind DISK, checked
host_sha() {
	_s=$(vm-host sha256 "$1") || return 1
	case $_s in
	[0-9a-f]*) [ ${#_s} -eq 64 ] && echo "$_s" ;;
	*) return 1 ;;
	esac
}

# sectors of a partition on its disk: start and size
part_start() { cat "/sys/class/block/$(basename "$1")/start"; }
part_size() { cat "/sys/class/block/$(basename "$1")/size"; }

# the dm device node for a dm name
dm_node() { echo "/dev/$(basename "$(readlink -f "/sys/block/$(dmsetup info -c --noheadings -o blkdevname "$1" | tr -d ' ')")")"; }

# param NAME VALUE: set a module parameter of jetfreeze
param() { echo "$2" >"/sys/module/jetfreeze/parameters/$1"; }

# short_ceiling SEC: hold ceiling and largest timeout both SEC seconds
short_ceiling() { param hold_ceiling_sec "$1" && param max_timeout_sec "$1"; }

# knob NAME VALUE: set a fault or delay injection knob of a test build
knob() { echo "$2" >"/sys/kernel/debug/jetfreeze/$1"; }
have_knobs() { [ -d /sys/kernel/debug/jetfreeze ]; }

# devnum DEV: major:minor of a block device, as jftest status prints it
devnum() { printf '%d:%d' "0x$(stat -L -c %t "$1")" "0x$(stat -L -c %T "$1")"; }

# held_on DEV: bios held on DEV right now (0 when it is not held)
held_on() {
	jftest status | sed -n "s/.* dev=$(devnum "$1") state=1 .*held_bios=\([0-9]*\).*/\1/p" |
		sort -n | tail -n 1 | grep . || echo 0
}

# all_finished TAG...: every background write TAG has finished
all_finished() {
	for _t in "$@"; do
		finished "$_t" || return 1
	done
}

# latest_ms TAG...: the latest finish time among background writes
latest_ms() {
	for _t in "$@"; do
		cat "$T/$_t.ms" 2>/dev/null || echo 999999999
	done | sort -n | tail -n 1
}

# held_at_least DEV N: at least N bios are held on DEV
held_at_least() { [ "$(held_on "$1")" -ge "$2" ]; }
