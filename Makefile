# gdbserver-vmcore and friends.  See README.md; `make help` lists targets.

.DEFAULT_GOAL := all
include mk/build.mk
# libdw: gdbserver-vmcore's task threads; liblzma: its .ko.xz modules
# (libkernel/modfind.c).  The loader and elfconv use neither (the loader
# links libkernel.a for save's dump-level filter, which needs neither).
LDLIBS   = -ldw -llzma $(LIB_LIBS)

SRV_SRCS = $(wildcard gdbserver-vmcore/*.c)
SRV_LIB  = $(filter-out gdbserver-vmcore/main.c,$(SRV_SRCS))

SRV_OBJS = $(SRV_LIB:%.c=$(BUILD)/obj/%.o)
CONV_SRCS = $(wildcard elfconv/*.c)
CONV_OBJS = $(CONV_SRCS:%.c=$(BUILD)/obj/%.o)
CONV_LIB  = $(filter-out $(BUILD)/obj/elfconv/main.o,$(CONV_OBJS))

UNIT_SRCS  = $(wildcard tests/unit/test-*.c)
UNIT_BINS  = $(UNIT_SRCS:tests/unit/%.c=$(BUILD)/tests/%)
FUZZ_SRCS  = $(wildcard tests/fuzz/fuzz-*.c)

# The tests and the demo never read this machine's kdump configuration
# (/etc/default/vmcore-loader, which the package installs): an empty one.
export VMCORE_LOADER_CONFIG ?= /dev/null

PROGRAMS = $(BUILD)/gdbserver-vmcore $(BUILD)/elfconv $(BUILD)/vmcore-loader
TOOLS    = $(BUILD)/tests/mkvmcore $(BUILD)/tests/mkkdump $(BUILD)/tests/no-ia32 \
           $(BUILD)/tests/mkmemmap

.PHONY: all deps check $(REAL_PARTS) check-deb check-gen check-unit check-gdb check-real check-tasks check-oops check-lx check-proto check-fuzz \
        check-kdump check-dumplevel check-elfconv check-kdump-write check-loader check-ide check-wrap check-ssh-save build-asan-units build-asan-kdump \
        asan fuzz bench demo clean help install static deb check-deb check-kdump-e2e

all: $(PROGRAMS) $(TOOLS)

help:
	@echo "make            build into $(BUILD)/"
	@echo "make check      install test dependencies, build, run every test"
	@echo "make demo       make a real kdump in QEMU and open it in gdb"
	@echo "make asan       build and run the tests under ASan+UBSan"
	@echo "make fuzz       run the libFuzzer harnesses for a while (FUZZ_SECONDS=60 each)"
	@echo "make bench      benchmarks against their anchors"
	@echo "make static     a statically linked vmcore-loader for capture initramfs images"
	@echo "make install    into PREFIX (default /usr/local; DESTDIR for staging;"
	@echo "                GDBINIT_DIR=/etc/gdb/gdbinit.d for gdb's unwinder loader,"
	@echo "                UNIT_DIR, KERNEL_HOOK_DIR=/etc/kernel for the kdump service)"
	@echo "make deb        Debian 12 packages into DEB_DIR (default $(BUILD)/deb)"

$(BUILD)/gdbserver-vmcore: $(BUILD)/obj/gdbserver-vmcore/main.o $(SRV_OBJS) $(BUILD)/libkernel.a $(BUILD)/libvmcore.a
	@$(if $(V),,echo "  LD      $@")
	$(Q)$(CC) $(ALL_CFLAGS) -o $@ $^ $(LDLIBS)

$(BUILD)/elfconv: $(CONV_OBJS) $(BUILD)/libkernel.a $(BUILD)/libvmcore.a
	@$(if $(V),,echo "  LD      $@")
	$(Q)$(CC) $(ALL_CFLAGS) -o $@ $^ $(LIB_LIBS)

PREFIX  ?= /usr/local
DESTDIR ?=
# gdb's system gdbinit directory (Debian's gdb reads *.py there at every
# start): the loader of the ORC unwinder goes there.  Empty: not installed.
GDBINIT_DIR ?= /etc/gdb/gdbinit.d
# vmcore-loader.service (systemd reads PREFIX/lib/systemd/system for
# /usr/local too) and the kernel hooks that build capture images
# (/etc/kernel/postinst.d, postrm.d).  Empty: not installed.
UNIT_DIR ?= $(PREFIX)/lib/systemd/system
KERNEL_HOOK_DIR ?= /etc/kernel
DOC_DIR ?= $(PREFIX)/share/doc/gdbserver-vmcore
SUBST = sed 's|@SBINDIR@|$(PREFIX)/sbin|g'
install: all static
	install -d $(DESTDIR)$(PREFIX)/bin $(DESTDIR)$(PREFIX)/sbin \
	  $(DESTDIR)$(PREFIX)/lib/gdbserver-vmcore $(DESTDIR)$(PREFIX)/share/man/man1
	install -m 755 $(BUILD)/gdbserver-vmcore $(BUILD)/elfconv $(DESTDIR)$(PREFIX)/bin/
	install -m 755 $(BUILD)/vmcore-loader loader/vmcore-mkinitramfs $(DESTDIR)$(PREFIX)/sbin/
	install -m 755 $(BUILD)/static/vmcore-loader \
	  $(DESTDIR)$(PREFIX)/lib/gdbserver-vmcore/vmcore-loader.static
	install -m 755 loader/capture-init.sh $(DESTDIR)$(PREFIX)/lib/gdbserver-vmcore/
	install -d $(DESTDIR)$(PREFIX)/share/gdbserver-vmcore
	install -m 644 gdbserver-vmcore/vmcore-gdb.py gdbserver-vmcore/vmcore-orc.py \
	  gdbserver-vmcore/vmcore-arm64.py \
	  $(DESTDIR)$(PREFIX)/share/gdbserver-vmcore/
	$(if $(GDBINIT_DIR),install -d $(DESTDIR)$(GDBINIT_DIR))
	$(if $(GDBINIT_DIR),sed 's|@DATADIR@|$(PREFIX)/share/gdbserver-vmcore|' \
	  gdbserver-vmcore/gdbinit-loader.py >$(DESTDIR)$(GDBINIT_DIR)/gdbserver-vmcore.py)
	$(if $(GDBINIT_DIR),chmod 644 $(DESTDIR)$(GDBINIT_DIR)/gdbserver-vmcore.py)
	install -m 644 docs/gdbserver-vmcore.1 docs/elfconv.1 docs/vmcore-loader.1 \
	  docs/vmcore-mkinitramfs.1 $(DESTDIR)$(PREFIX)/share/man/man1/
	install -d $(DESTDIR)$(DOC_DIR)
	install -m 644 dist/vmcore-loader.default $(DESTDIR)$(DOC_DIR)/
	$(if $(UNIT_DIR),install -d $(DESTDIR)$(UNIT_DIR))
	$(if $(UNIT_DIR),$(SUBST) dist/vmcore-loader.service \
	  >$(DESTDIR)$(UNIT_DIR)/vmcore-loader.service)
	$(if $(UNIT_DIR),chmod 644 $(DESTDIR)$(UNIT_DIR)/vmcore-loader.service)
	$(if $(KERNEL_HOOK_DIR),install -d $(DESTDIR)$(KERNEL_HOOK_DIR)/postinst.d \
	  $(DESTDIR)$(KERNEL_HOOK_DIR)/postrm.d)
	$(if $(KERNEL_HOOK_DIR),$(SUBST) dist/kernel-postinst \
	  >$(DESTDIR)$(KERNEL_HOOK_DIR)/postinst.d/vmcore-loader)
	$(if $(KERNEL_HOOK_DIR),$(SUBST) dist/kernel-postrm \
	  >$(DESTDIR)$(KERNEL_HOOK_DIR)/postrm.d/vmcore-loader)
	$(if $(KERNEL_HOOK_DIR),chmod 755 $(DESTDIR)$(KERNEL_HOOK_DIR)/postinst.d/vmcore-loader \
	  $(DESTDIR)$(KERNEL_HOOK_DIR)/postrm.d/vmcore-loader)

# Debian 12 packages (debian/), built by dpkg-buildpackage in a copy of the
# source tree (it writes build directories into debian/), into DEB_DIR.
DEB_DIR ?= $(BUILD)/deb
deb:
	@mk/deb.sh $(DEB_DIR)

# The packages: build, lintian, contents, systemd-analyze verify of the
# unit, install/remove/purge in a throwaway Debian 12 root.
check-deb:
	@tests/deb/run.sh $(BUILD)

# The kdump service end to end in QEMU: this commit's package installed in
# a Debian 12 systemd guest arms kdump at boot; a dump saved locally and
# one over SSH to this host, both opened in gdb; a second kernel's hook.
check-kdump-e2e: all
	@tests/deb/qemu-e2e.sh $(BUILD)

# no-ia32 COMMAND: COMMAND as on a host kernel without IA-32 emulation
# (tests/real/no-ia32.c), for the i386 tests' qemu-user path.
$(BUILD)/tests/no-ia32: tests/real/no-ia32.c
	@mkdir -p $(dir $@)
	@$(if $(V),,echo "  CC      $<")
	$(Q)$(CC) $(ALL_CFLAGS) -o $@ $<

$(BUILD)/tests/mkvmcore: tests/gen/mkvmcore.c
	@mkdir -p $(dir $@)
	@$(if $(V),,echo "  CC      $<")
	$(Q)$(CC) $(ALL_CFLAGS) -o $@ $<

$(BUILD)/tests/mkmemmap: tests/gen/mkmemmap.c
	@mkdir -p $(dir $@)
	@$(if $(V),,echo "  CC      $<")
	$(Q)$(CC) $(ALL_CFLAGS) -o $@ $<

UNIT_SUPPORT = $(addprefix $(BUILD)/obj/tests/unit/,unit.o corefile.o gdbframes.o)

$(BUILD)/tests/test-%: $(BUILD)/obj/tests/unit/test-%.o $(UNIT_SUPPORT) $(SRV_OBJS) $(CONV_LIB) $(LOADER_LIB) $(BUILD)/libkernel.a $(BUILD)/libvmcore.a
	@mkdir -p $(dir $@)
	@$(if $(V),,echo "  LD      $@")
	$(Q)$(CC) $(ALL_CFLAGS) -o $@ $^ $(LDLIBS)

deps:
	@mk/install-deps.sh test

# The parts of `make check`, longest first: they run CHECK_JOBS at a time
# (mk/run-checks.sh), each part's output printed whole when it ends.
CHECKS = check-real-x86_64 asan check-tasks check-oops check-kdump-e2e check-ide check-lx \
	check-irq check-real-aarch64 check-real-i386 check-kexec-load check-kdump \
	check-fuzz check-cross-aarch64 check-cross-i386 check-deb check-loader check-elfconv \
	check-kdump-write check-dumplevel check-gdb check-wrap check-ssh-save check-unit \
	check-gen check-proto
CHECK_JOBS ?= $(shell n=$$(nproc); [ $$n -gt 4 ] && n=4; echo $$n)

# deps and the build first, then the parts; the log says where time went.
check:
	@start=$$(date +%s); $(MAKE) deps || exit 1; \
	echo "check: deps done in $$(($$(date +%s) - start)) s"; \
	$(MAKE) all static $(UNIT_BINS) $(BUILD)/tests/cmppages $(BUILD)/tests/mkkdump \
	  $(BUILD)/tests/dlcheck || exit 1; \
	echo "check: build done (total $$(($$(date +%s) - start)) s)"; \
	CHECK_START=$$start MAKE="$(MAKE)" mk/run-checks.sh $(CHECK_JOBS) $(CHECKS)

# The synthetic dump generator every synthetic test trusts, checked by
# binutils and an independent Python page walker (tests/gen/).
check-gen: $(BUILD)/tests/mkvmcore
	@MKVMCORE=$(BUILD)/tests/mkvmcore tests/gen/check-mkvmcore.sh

check-unit: $(UNIT_BINS) $(TOOLS)
	@tests/run-unit.sh $(BUILD) $(UNIT_BINS)

check-proto: all
	@tests/proto/run.sh $(BUILD)

# gdbserver-vmcore --wrap through a real ssh to an sshd on 127.0.0.1,
# with gdb 13 and gdb 16.
check-wrap: all
	@tests/wrap/run.sh $(BUILD)

# Task threads (--vmlinux) on the real x86_64 kdump; part of check-real.
check-tasks: all
	@tests/gdb/run-real-tasks.sh $(BUILD)

# Backtraces of test-module oopses (tests/real/make-dump-x86_64-oops.sh)
# against drgn, crash and the kernel; part of check-real.
check-oops: all
	@tests/gdb/run-real-oops.sh $(BUILD)

# Linux's scripts/gdb (vmlinux-gdb.py) through the server on the real
# kdumps; part of check-real.
check-lx: all
	@tests/gdb/run-real-lx.sh $(BUILD)

check-gdb: all
	@tests/gdb/run-synthetic.sh $(BUILD)

# The real-dump sessions, one target each so `make check` can run them
# side by side; check-real runs them all in turn.
REAL_PARTS = check-real-x86_64 check-irq check-oops check-tasks check-lx \
	check-real-aarch64 check-real-i386 check-cross-aarch64 check-cross-i386 \
	check-kexec-load
check-real: $(REAL_PARTS)

check-real-x86_64: all $(BUILD)/tests/cmppages
	@tests/gdb/run-real.sh $(BUILD)

check-irq: all
	@tests/gdb/run-real-irq.sh $(BUILD)

check-real-aarch64: all
	@tests/gdb/run-real-aarch64.sh $(BUILD)

check-real-i386: all
	@tests/gdb/run-real-i386.sh $(BUILD)

check-cross-aarch64:
	@tests/loader/qemu-cross.sh aarch64

check-cross-i386:
	@tests/loader/qemu-cross.sh i386

check-kexec-load: all $(BUILD)/tests/cmppages
	@tests/loader/qemu-kexec-load.sh $(BUILD)

asan:
	$(MAKE) BUILD=build-asan SAN='-fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=all' OPT=-O1 all build-asan-units build-asan-kdump
	ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=print_stacktrace=1 \
	  $(MAKE) BUILD=build-asan SAN='-fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=all' OPT=-O1 check-gen check-unit check-proto check-gdb check-kdump check-elfconv check-loader

build-asan-units: $(UNIT_BINS)

build-asan-kdump: $(BUILD)/tests/mkkdump $(BUILD)/tests/cmppages

# A short run of every harness in `make check`; `make fuzz` for longer.
check-fuzz:
	@FUZZ_SECONDS=$${FUZZ_SECONDS:-10} tests/fuzz/run.sh

fuzz:
	@tests/fuzz/run.sh

$(BUILD)/bench/readpages: bench/readpages.c $(BUILD)/libvmcore.a
	@mkdir -p $(dir $@)
	@$(if $(V),,echo "  LD      $@")
	$(Q)$(CC) $(ALL_CFLAGS) -o $@ $^ $(LDLIBS)

bench: all $(BUILD)/bench/readpages $(BUILD)/tests/dlcheck
	@bench/run.sh $(BUILD)

demo:
	@mk/install-deps.sh demo
	$(MAKE) all
	@mk/demo.sh $(BUILD)

clean:
	rm -rf build build-asan build-fuzz

-include $(shell find $(BUILD)/obj -name '*.d' 2>/dev/null)

# kdump-compressed and flattened formats against real dumps (tests/kdump/).
# mkkdump is the tests' own encoder: it links only the compression
# libraries, never libvmcore.
MKKDUMP_LIBS = -lelf -lz -llzo2 -lsnappy -lzstd

$(BUILD)/tests/mkkdump: tests/gen/mkkdump.c
	@mkdir -p $(dir $@)
	@$(if $(V),,echo "  CC      $<")
	$(Q)$(CC) $(ALL_CFLAGS) -o $@ $< $(MKKDUMP_LIBS)

# dlcheck: the dump-level filter over a whole dump, against makedumpfile's
# choice of pages (tests/kdump/dumplevel.sh).
$(BUILD)/tests/dlcheck: $(BUILD)/obj/tests/kdump/dlcheck.o $(BUILD)/libkernel.a $(BUILD)/libvmcore.a
	@mkdir -p $(dir $@)
	@$(if $(V),,echo "  LD      $@")
	$(Q)$(CC) $(ALL_CFLAGS) -o $@ $^ $(LIB_LIBS)

$(BUILD)/tests/cmppages: $(BUILD)/obj/tests/kdump/cmppages.o $(BUILD)/libvmcore.a
	@mkdir -p $(dir $@)
	@$(if $(V),,echo "  LD      $@")
	$(Q)$(CC) $(ALL_CFLAGS) -o $@ $^ $(LDLIBS)

check-kdump: all $(BUILD)/tests/mkkdump $(BUILD)/tests/cmppages
	@tests/kdump/run.sh $(BUILD)

# The dump-level filter against makedumpfile 1.7.6 on the real dumps
# (tests/kdump/dumplevel.sh).
check-dumplevel: all $(BUILD)/tests/dlcheck $(BUILD)/tests/cmppages
	@tests/kdump/dumplevel.sh $(BUILD)

# The kdump-compressed writer (elfconv --format kdump) on the real dumps,
# read back by makedumpfile 1.7.6, crash 8.0.6 and drgn 0.0.31.
check-kdump-write: all $(BUILD)/tests/mkkdump $(BUILD)/tests/cmppages
	@tests/kdump/writer.sh $(BUILD)

# vmcore-loader without a crash: status, sizing, dry-run, save.
check-loader: all $(BUILD)/tests/cmppages
	@tests/loader/run.sh $(BUILD)

# save --ssh against an sshd on 127.0.0.1 (ssh and dbclient, refusals,
# remote disk full, never overwriting) and the capture image with --ssh.
check-ssh-save: all static $(BUILD)/tests/cmppages
	@tests/loader/ssh-save.sh $(BUILD)

# IDE front ends on the real x86_64 kdump: a gdb/MI session as cpptools
# drives it, a DAP session through cdt-gdb-adapter (npm packages in the
# user's cache), lldb's gdb-remote.
check-ide: all
	@tests/ide/run.sh $(BUILD)

# elfconv on the real dumps: conversions, refusals, full disk, progress.
check-elfconv: all $(BUILD)/tests/cmppages
	@tests/elfconv/run.sh $(BUILD)
