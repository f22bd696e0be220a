# Persistent holds: they outlive the freezing process, end at their
# timeout, keep their report for whoever adopts them, and are bounded.
. ./lib.sh

jftest hold -p -t 20000 /dev/vdc >"$T/p.out"
hold=$(sed -n 's/.*hold=\([0-9]*\).*/\1/p' "$T/p.out")
check "the freezing process is gone, the hold is not" sh -c "jftest status | grep -q 'hold=$hold .*state=1'"
check "it has no attached file" sh -c "jftest status | grep -q 'hold=$hold .*flags=1 '"
bg_write w /dev/vdc 0
check "writes held" held w 1
check "thaw adopts and ends it" jetfreeze thaw
check "write lands" wait_for 10 finished_ok w

jftest hold -p -t 500 /dev/vdc >/dev/null
sleep 1.5
check "after its timeout it is listed as ended" sh -c "jftest status | grep -q 'state=2 broken=1'"
check "writes flow again" jftest write -d /dev/vdc 8192
jetfreeze thaw 2>/dev/null
expect "thaw of the ended hold reports it broken" "$?" 3
check "the report is collected once" nothing_frozen

# unclaimed reports are bounded
for i in $(seq 1 40); do jftest hold -p -t 1 /dev/vdc >/dev/null; done
sleep 1
n=$(jftest status | grep -c 'state=2')
check "at most 32 unclaimed reports kept ($n)" test "$n" -le 32
check "dropping them is logged" sh -c 'dmesg | grep -q "dropping the unclaimed report"'
jetfreeze thaw >/dev/null 2>&1
check "all collected" nothing_frozen
