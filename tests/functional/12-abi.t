# The ioctl ABI against bad input, from 64-bit and 32-bit processes, and
# the privilege checks.
. ./lib.sh

jftest abi /dev/vdc | sed "s/^\(not \)*ok - /&$JF_TEST: 64-bit: /"
if [ -x "$(command -v jftest32)" ]; then
	jftest32 abi /dev/vdc | sed "s/^\(not \)*ok - /&$JF_TEST: 32-bit: /"
else
	skip "32-bit ABI" "jftest32 not built (no gcc-multilib)"
fi
jftest privileges /dev/vdc | sed "s/^\(not \)*ok - /&$JF_TEST: /"
check "nothing frozen afterwards" nothing_frozen
