# Some bio-based drivers (dm-delay here, like dm-crypt, dm-thin, dm-cache)
# count a write only once they pass it down, so one frozen without the
# devices below it can still send them a write it took before the freeze.
# The module says so; frozen with them, it does not.
. ./lib.sh

size=$(blockdev --getsz /dev/vdc)
echo "0 $size delay /dev/vdc 0 100" | dmsetup create jfwarn ||
	{ not_ok "dm-delay"; exit 0; }
dm=$(dm_node jfwarn)
name=$(basename "$dm")
dmesg -c >/dev/null
jftest hold -w 100 "$dm" >"$T/a.out"
check "frozen alone" grep -q '^freeze=ok' "$T/a.out"
check "the log warns that the devices below are not frozen" \
	sh -c "dmesg | grep -q '$name: frozen without any of the devices below it'"
dmesg -c >/dev/null
jftest hold -w 100 -s 0 "$dm" -s 1 /dev/vdc >"$T/b.out"
check "frozen with vdc below it" grep -q '^freeze=ok' "$T/b.out"
check "no warning then" sh -c "! dmesg | grep -q 'frozen without any'"
dmesg -c >/dev/null
jftest hold -w 100 -s 0 "$dm" -s 1 /dev/vdb >"$T/c.out"
check "with an unrelated device after it, the warning stays" \
	sh -c "dmesg | grep -q '$name: frozen without any of the devices below it'"
dmsetup remove jfwarn
