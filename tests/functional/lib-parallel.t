# libjetfreeze: two engines snapshot at the same time, each its own
# session and kernel hold; and the example engine end to end.
. ./lib.sh

mkfs_mount /dev/vdb /mnt/a && mkfs_mount /dev/vdc /mnt/b ||
	{ not_ok "filesystems"; exit 0; }
jftest-lib-engine -b 32 -r "$T/ra" -u "$T/go" /mnt/a/db.edb >"$T/a" 2>&1 &
pa=$!
jftest-lib-engine -b 32 -r "$T/rb" -u "$T/go" /mnt/b/db.edb >"$T/b" 2>&1 &
pb=$!
wait_for 90 test -f "$T/ra" && wait_for 90 test -f "$T/rb" ||
	not_ok "the engines did not both freeze"
jftest status >"$T/st"
touch "$T/go"
wait "$pa" "$pb"
expect "two kernel holds at once" "$(awk '{ print $1 }' "$T/st" | sort -u | wc -l)" 2
check "both thawed" sh -c "grep -q '^thaw=0$' $T/a && grep -q '^thaw=0$' $T/b"
check "both verified" sh -c "grep -q '^verify=ok' $T/a && grep -q '^verify=ok' $T/b"

check "minidb takes and verifies a snapshot with the module" \
	jftest-lib-minidb --seconds 1 /mnt/a
umount /mnt/a /mnt/b
check "nothing frozen" nothing_frozen
