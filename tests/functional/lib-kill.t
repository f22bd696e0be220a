# libjetfreeze: an engine killed while frozen leaves nothing frozen, even
# with a child process that inherited its descriptors still running.
. ./lib.sh

mkfs_mount /dev/vdb /mnt/lib || { not_ok "ext4 on vdb"; exit 0; }

jftest-lib-engine -f -k -b 16 -r "$T/ready" -u "$T/go" /mnt/lib/db.edb \
	>"$T/out" 2>"$T/err" &
pid=$!
wait_for 90 test -f "$T/ready" || not_ok "the engine did not freeze: $(tr '\n' ' ' <"$T/out")"
check "frozen" test -n "$(jftest status)"
# (busybox dd or GNU dd: conv=fsync is what both know)
( dd if=/dev/zero of=/mnt/lib/other bs=4096 count=1 conv=fsync 2>"$T/w.err"
  echo $? >"$T/w.rc" ) &
check "another process's write is held" held w 1
touch "$T/go"
wait "$pid"
expect "the engine died by SIGKILL" $? 137
check "nothing frozen once it died" wait_for 5 nothing_frozen
check "the held write landed" wait_for 10 finished_ok w
child=$(sed -n 's/^child=//p' "$T/out")
check "although its child (${child:-?}) still lives" kill -0 "${child:-0}"
if [ -n "$child" ]; then
	kill "$child"
	wait_for 5 sh -c "! kill -0 $child"	# it keeps files open on /mnt/lib
fi
umount /mnt/lib
