# The SQLite demo, short: a bank on ext4 under load, 5 snapshots through
# the jetfreeze VFS each copied while frozen and checked on its own (fs
# clean, integrity, total, every commit before Freeze present), then 2
# copies without a freeze (reported, not judged).  Then the extension in
# the stock sqlite3 shell, with the module.
. ./lib.sh

jfsqlite-demo --snapshots 5 --control 2 --part-mib 64 --accounts 5000 \
	>"$T/out" 2>&1
rc=$?
grep -v '^@@' "$T/out" | sed 's/^/# /'

for i in 1 2 3 4 5; do
	check "snapshot $i: its image verified" grep -q "^@@result snapshot $i ok$" "$T/out"
done
check "every JetOSSnapshot call succeeded, the run exited 0" test "$rc" = 0
check "End recorded each snapshot in jetfreeze_backup" \
	grep -q "5 completed; .*; 5 jetfreeze_backup rows" "$T/out"
check "image 5 holds the records of snapshots 1 to 4" \
	grep -q "^snapshot  *5: ok .*, 4 earlier snapshots recorded$" "$T/out"
check "the live filesystem is clean" grep -q "live filesystem  *clean" "$T/out"
failed=$(grep -c '^@@result control .* FAIL$' "$T/out")
done=$(grep -c '^@@result control ' "$T/out")
expect "the copies without a freeze ran ($failed of them failed the checks)" "$done" 2

# --- the extension in the sqlite3 shell, kernel mode ----------------------------
mkfs_mount /dev/nvme0n1 /mnt/shell || { not_ok "ext4 on nvme0n1"; exit 0; }
sqlite3 >"$T/shell" 2>&1 <<EOF
.load /usr/local/lib/jetfreeze-sqlite
.open /mnt/shell/shell.db
PRAGMA journal_mode=WAL;
CREATE TABLE t(x);
INSERT INTO t VALUES(1), (2), (3);
SELECT jetfreeze_snapshot('mkdir -p $T/copy && cp /mnt/shell/shell.db /mnt/shell/shell.db-wal $T/copy/ && jftest status > $T/status');
SELECT 'rows=' || count(*) FROM jetfreeze_backup;
PRAGMA jetfreeze;
EOF
sed 's/^/# /' "$T/shell"
check "shell: jetfreeze_snapshot froze the database" grep -q "1 database(s) frozen for" "$T/shell"
check "shell: the device was frozen while the command ran" \
	grep -q "dev=$(cat /sys/class/block/nvme0n1/dev) state=1 " "$T/status"
check "shell: the completed snapshot is recorded" grep -q "^rows=1$" "$T/shell"
check "shell: kernel mode" grep -q "(kernel mode)" "$T/shell"
check "shell: the copy is a good database" sh -c \
	"sqlite3 $T/copy/shell.db 'PRAGMA integrity_check; SELECT sum(x) FROM t' | tr '\n' ' ' | grep -q '^ok 6 $'"
check "nothing frozen" nothing_frozen
umount /mnt/shell
