# SPDX-License-Identifier: GPL-2.0-only
#
# jetfreeze: top-level orchestrator for the module, the library, the tools
# and the tests.  Userspace builds into $(BUILD); the module builds once per
# kernel into $(BUILD)/kmod/<kernel release>/.
#
#   make                 library, tools and test programs
#   make kmod KVER=...   the module (and the test-only modules) for a kernel
#   make check           installs what is missing, then runs every test
#   make demo            installs what is missing, then the demonstration
#   make bench           installs what is missing, then the benchmarks
#   make check-debug     the VM suite on the rig's debug kernel (KASAN,
#                        lockdep...; built and cached on first use)
#   make soak            the soak of Documentation/reliability.md

VERSION := $(shell cat $(CURDIR)/VERSION)
export VERSION

TOP := $(CURDIR)
BUILD ?= $(TOP)/build
export TOP BUILD

CC ?= gcc
V ?= 0
ifeq ($(V),0)
MAKEFLAGS += --no-print-directory
endif

# Kernels the VM suite runs on; tests/vm/kernel resolves series to releases.
KERNELS ?= 6.1 6.12

.PHONY: all userspace lib tools sqlite tests kmod deps check unit vmcheck demo \
	bench install dkms-install clean check-debug soak

all: userspace

userspace: lib tools sqlite tests

lib:
	$(MAKE) -C lib

tools: lib
	$(MAKE) -C tools

# The SQLite VFS on the library, and the demo's programs.
sqlite: lib
	$(MAKE) -C sqlite

tests: lib tools sqlite
	$(MAKE) -C tests

# The module for one kernel.  KVER is a release ("6.1.0-56-amd64") or a
# series ("6.1"); KDIR defaults to Debian's header package location.
kmod:
	@test -n "$(KVER)" || { echo "make kmod: set KVER (e.g. KVER=6.1)"; exit 1; }
	@kmod/build "$(KVER)" "$(KDIR)"

deps:
	@scripts/install-deps

check: deps
	@$(MAKE) userspace
	@tests/run-all $(KERNELS)

unit: userspace
	@tests/run-all --unit-only

vmcheck: deps userspace
	@tests/run-all --vm-only $(KERNELS)

# The VM suite on a kernel with KASAN, lockdep, DEBUG_ATOMIC_SLEEP, KFENCE
# and DEBUG_OBJECTS (tests/vm/debug-kernel; the first run builds it, about
# half an hour).  Any report the kernel makes fails it.
check-debug: deps userspace
	@tests/run-all --debug

# Not in check: about an hour and a half.  KERNEL: a series (6.12).
KERNEL ?= 6.12
soak: deps userspace
	@tests/soak/run --kernel $(KERNEL)

demo: deps
	@$(MAKE) userspace
	@tests/demo/run

bench: deps
	@$(MAKE) userspace
	@bench/run

install: userspace
	$(MAKE) -C lib install
	$(MAKE) -C tools install
	$(MAKE) -C sqlite install

# The module's sources into /usr/src for DKMS, which then builds and
# installs it for every kernel with headers (and again after upgrades).
DKMS_SRC := $(DESTDIR)/usr/src/jetfreeze-$(VERSION)
dkms-install:
	rm -rf $(DKMS_SRC)
	mkdir -p $(DKMS_SRC)/include
	cp -R Kbuild VERSION kmod $(DKMS_SRC)/
	cp -R include/uapi $(DKMS_SRC)/include/
	rm -f $(DKMS_SRC)/kmod/build $(DKMS_SRC)/kmod/dkms.conf.in
	sed 's/@VERSION@/$(VERSION)/' kmod/dkms.conf.in > $(DKMS_SRC)/dkms.conf
	dkms add -m jetfreeze -v $(VERSION)
	dkms install -m jetfreeze -v $(VERSION)

clean:
	rm -rf $(BUILD)
