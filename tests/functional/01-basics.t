# The module is loaded, the node is there and private, nothing is frozen.
. ./lib.sh

check "module loaded" grep -q '^jetfreeze ' /proc/modules
check "node is a char device" test -c /dev/jetfreeze
expect "node mode" "$(stat -c %a /dev/jetfreeze)" 600
check "version answers" jetfreeze version
check "status with nothing frozen" nothing_frozen
check "load logged" sh -c 'dmesg | grep -q "jetfreeze: version .* ready"'
check "parameters exposed" test -f /sys/module/jetfreeze/parameters/max_timeout_sec
expect "default timeout parameter" "$(cat /sys/module/jetfreeze/parameters/default_timeout_sec)" 10
expect "timeout cap parameter" "$(cat /sys/module/jetfreeze/parameters/max_timeout_sec)" 70
check "timeout cap above 110 s refused" sh -c '! echo 111 > /sys/module/jetfreeze/parameters/max_timeout_sec'
check "timeout of 0 refused" sh -c '! echo 0 > /sys/module/jetfreeze/parameters/default_timeout_sec'
