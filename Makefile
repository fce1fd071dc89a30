# gdbserver-vmcore and friends.  See README.md; `make help` lists targets.

CC      ?= gcc
OBJCOPY ?= $(patsubst %gcc,%objcopy,$(patsubst cc,objcopy,$(CC)))
BUILD   ?= build
SAN     ?=
OPT     ?= -O2
CFLAGS  ?=
WARN     = -Wall -Wextra -Werror -Wshadow -Wstrict-prototypes \
           -Wmissing-prototypes -Wno-missing-field-initializers
ALL_CFLAGS = -std=gnu11 $(OPT) -g $(WARN) -D_FILE_OFFSET_BITS=64 $(SAN) $(CFLAGS)
LIB_LIBS = -lelf -lz -llzo2 -lsnappy -lzstd
# libdw: gdbserver-vmcore's task threads; the loader and elfconv do not use it.
LDLIBS   = -ldw $(LIB_LIBS)
VERSION := $(shell cat VERSION 2>/dev/null || echo 0.1)

LIB_SRCS = $(wildcard libvmcore/*.c) $(wildcard arch/*.c)
SRV_SRCS = $(wildcard gdbserver-vmcore/*.c)
SRV_LIB  = $(filter-out gdbserver-vmcore/main.c,$(SRV_SRCS))

LIB_OBJS = $(LIB_SRCS:%.c=$(BUILD)/obj/%.o)
SRV_OBJS = $(SRV_LIB:%.c=$(BUILD)/obj/%.o)
CONV_SRCS = $(wildcard elfconv/*.c)
CONV_OBJS = $(CONV_SRCS:%.c=$(BUILD)/obj/%.o)
CONV_LIB  = $(filter-out $(BUILD)/obj/elfconv/main.o,$(CONV_OBJS))
LOADER_SRCS = $(wildcard loader/*.c)
LOADER_OBJS = $(LOADER_SRCS:%.c=$(BUILD)/obj/%.o)
LOADER_OBJS += $(BUILD)/obj/loader/purgatory-image.o
LOADER_LIB  = $(filter-out $(BUILD)/obj/loader/main.o,$(LOADER_OBJS))

# The purgatory (loader/purgatory/): freestanding, for the architecture the
# loader is built for, linked at two addresses that must give the same bytes
# (proof it is position independent), embedded in the loader.
PURG_ARCH := $(shell $(CC) -dumpmachine 2>/dev/null | sed -n \
               -e 's/^x86_64-.*/x86_64/p' -e 's/^i[3-6]86-.*/i386/p')
PURG_CFLAGS = -std=gnu11 -O2 $(WARN) -ffreestanding -fno-builtin -nostdlib \
              -fno-stack-protector -fpie -fvisibility=hidden \
              -fno-asynchronous-unwind-tables -fno-unwind-tables \
              -fcf-protection=none -mgeneral-regs-only -fno-jump-tables \
              $(if $(filter x86_64,$(PURG_ARCH)),-mno-red-zone)
PURG_SRCS = loader/purgatory/entry-$(PURG_ARCH).S loader/purgatory/purgatory.c loader/sha256.c
PURG_DIR  = $(BUILD)/purgatory

UNIT_SRCS  = $(wildcard tests/unit/test-*.c)
UNIT_BINS  = $(UNIT_SRCS:tests/unit/%.c=$(BUILD)/tests/%)
FUZZ_SRCS  = $(wildcard tests/fuzz/fuzz-*.c)

PROGRAMS = $(BUILD)/gdbserver-vmcore $(BUILD)/elfconv $(BUILD)/vmcore-loader
TOOLS    = $(BUILD)/tests/mkvmcore $(BUILD)/tests/mkkdump

.PHONY: all deps check check-unit check-gdb check-real check-tasks check-lx check-proto check-fuzz \
        check-kdump check-elfconv check-loader check-ide build-asan-units build-asan-kdump \
        asan fuzz bench demo clean help install static

all: $(PROGRAMS) $(TOOLS)

help:
	@echo "make            build into $(BUILD)/"
	@echo "make check      install test dependencies, build, run every test"
	@echo "make demo       make a real kdump in QEMU and open it in gdb"
	@echo "make asan       build and run the tests under ASan+UBSan"
	@echo "make fuzz       run the libFuzzer harnesses for a while (FUZZ_SECONDS=60 each)"
	@echo "make bench      benchmarks against their anchors"
	@echo "make static     a statically linked vmcore-loader for capture initramfs images"
	@echo "make install    into PREFIX (default /usr/local; DESTDIR for staging)"

Q = $(if $(V),,@)

$(BUILD)/obj/%.o: %.c
	@mkdir -p $(dir $@)
	@$(if $(V),,echo "  CC      $<")
	$(Q)$(CC) $(ALL_CFLAGS) -DVMC_VERSION='"$(VERSION)"' -MMD -MP -c -o $@ $<

$(BUILD)/libvmcore.a: $(LIB_OBJS)
	$(Q)$(AR) rcs $@ $^

$(BUILD)/gdbserver-vmcore: $(BUILD)/obj/gdbserver-vmcore/main.o $(SRV_OBJS) $(BUILD)/libvmcore.a
	@$(if $(V),,echo "  LD      $@")
	$(Q)$(CC) $(ALL_CFLAGS) -o $@ $^ $(LDLIBS)

$(BUILD)/elfconv: $(CONV_OBJS) $(BUILD)/libvmcore.a
	@$(if $(V),,echo "  LD      $@")
	$(Q)$(CC) $(ALL_CFLAGS) -o $@ $^ $(LIB_LIBS)

$(BUILD)/vmcore-loader: $(LOADER_OBJS) $(BUILD)/libvmcore.a
	@$(if $(V),,echo "  LD      $@")
	$(Q)$(CC) $(ALL_CFLAGS) -o $@ $^ $(LIB_LIBS)

# Statically linked, for capture initramfs images (loader/vmcore-mkinitramfs):
# no libc or libraries needed in the image.  snappy is C++, hence libstdc++.
$(BUILD)/static/vmcore-loader: $(LOADER_OBJS) $(BUILD)/libvmcore.a
	@mkdir -p $(dir $@)
	@$(if $(V),,echo "  LD      $@ (static)")
	$(Q)$(CC) $(ALL_CFLAGS) -static -o $@ $^ $(LIB_LIBS) -lstdc++ -lm

static: $(BUILD)/static/vmcore-loader

$(PURG_DIR)/purgatory-%.elf: $(PURG_SRCS) loader/purgatory/purgatory.h loader/sha256.h loader/purgatory/purgatory.lds
	@mkdir -p $(dir $@)
	@$(if $(V),,echo "  PURG    $@")
	$(Q)$(CC) $(PURG_CFLAGS) -static -no-pie -Wl,--build-id=none \
	  -Wl,--no-warn-rwx-segments -Wl,--defsym=PURGATORY_BASE=$* \
	  -Wl,-T,loader/purgatory/purgatory.lds -o $@ $(PURG_SRCS)

$(PURG_DIR)/purgatory.bin: $(PURG_DIR)/purgatory-0.elf $(PURG_DIR)/purgatory-0x10000.elf
	$(Q)$(OBJCOPY) -O binary -j .image $(PURG_DIR)/purgatory-0.elf $@.0
	$(Q)$(OBJCOPY) -O binary -j .image $(PURG_DIR)/purgatory-0x10000.elf $@.1
	$(Q)cmp -s $@.0 $@.1 || { echo "purgatory: not position independent" \
	  "(images linked at 0 and 0x10000 differ)" >&2; exit 1; }
	$(Q)mv $@.0 $@ && rm -f $@.1

$(BUILD)/obj/loader/purgatory-image.o: loader/purgatory/image.S $(if $(PURG_ARCH),$(PURG_DIR)/purgatory.bin)
	@mkdir -p $(dir $@)
	@$(if $(V),,echo "  AS      $@")
	$(Q)$(CC) $(SAN) -c -o $@ $< \
	  $(if $(PURG_ARCH),-DPURGATORY_BIN='"$(PURG_DIR)/purgatory.bin"')

PREFIX  ?= /usr/local
DESTDIR ?=
install: all static
	install -d $(DESTDIR)$(PREFIX)/bin $(DESTDIR)$(PREFIX)/sbin \
	  $(DESTDIR)$(PREFIX)/lib/gdbserver-vmcore $(DESTDIR)$(PREFIX)/share/man/man1
	install -m 755 $(BUILD)/gdbserver-vmcore $(BUILD)/elfconv $(DESTDIR)$(PREFIX)/bin/
	install -m 755 $(BUILD)/vmcore-loader loader/vmcore-mkinitramfs $(DESTDIR)$(PREFIX)/sbin/
	install -m 755 $(BUILD)/static/vmcore-loader \
	  $(DESTDIR)$(PREFIX)/lib/gdbserver-vmcore/vmcore-loader.static
	install -m 755 loader/capture-init.sh $(DESTDIR)$(PREFIX)/lib/gdbserver-vmcore/
	install -d $(DESTDIR)$(PREFIX)/share/gdbserver-vmcore
	install -m 644 gdbserver-vmcore/vmcore-gdb.py $(DESTDIR)$(PREFIX)/share/gdbserver-vmcore/
	install -m 644 docs/gdbserver-vmcore.1 docs/elfconv.1 docs/vmcore-loader.1 \
	  docs/vmcore-mkinitramfs.1 $(DESTDIR)$(PREFIX)/share/man/man1/

$(BUILD)/tests/mkvmcore: tests/gen/mkvmcore.c
	@mkdir -p $(dir $@)
	@$(if $(V),,echo "  CC      $<")
	$(Q)$(CC) $(ALL_CFLAGS) -o $@ $<

UNIT_SUPPORT = $(addprefix $(BUILD)/obj/tests/unit/,unit.o corefile.o gdbframes.o)

$(BUILD)/tests/test-%: $(BUILD)/obj/tests/unit/test-%.o $(UNIT_SUPPORT) $(SRV_OBJS) $(CONV_LIB) $(LOADER_LIB) $(BUILD)/libvmcore.a
	@mkdir -p $(dir $@)
	@$(if $(V),,echo "  LD      $@")
	$(Q)$(CC) $(ALL_CFLAGS) -o $@ $^ $(LDLIBS)

deps:
	@mk/install-deps.sh test

check: deps
	$(MAKE) all $(UNIT_BINS)
	$(MAKE) check-unit check-proto check-gdb check-real check-kdump check-elfconv check-loader check-ide
	$(MAKE) asan
	$(MAKE) check-fuzz

check-unit: $(UNIT_BINS) $(TOOLS)
	@tests/run-unit.sh $(BUILD) $(UNIT_BINS)

check-proto: all
	@tests/proto/run.sh $(BUILD)

# Task threads (--vmlinux) on the real x86_64 kdump; part of check-real.
check-tasks: all
	@tests/gdb/run-real-tasks.sh $(BUILD)

# Linux's scripts/gdb (vmlinux-gdb.py) through the server on the real
# kdumps; part of check-real.
check-lx: all
	@tests/gdb/run-real-lx.sh $(BUILD)

check-gdb: all
	@tests/gdb/run-synthetic.sh $(BUILD)

check-real: all $(BUILD)/tests/cmppages
	@tests/gdb/run-real.sh $(BUILD)
	@tests/gdb/run-real-tasks.sh $(BUILD)
	@tests/gdb/run-real-lx.sh $(BUILD)
	@tests/gdb/run-real-aarch64.sh $(BUILD)
	@tests/gdb/run-real-i386.sh $(BUILD)
	@tests/loader/qemu-cross.sh aarch64
	@tests/loader/qemu-cross.sh i386
	@tests/loader/qemu-kexec-load.sh $(BUILD)

asan:
	$(MAKE) BUILD=build-asan SAN='-fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=all' OPT=-O1 all build-asan-units build-asan-kdump
	ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=print_stacktrace=1 \
	  $(MAKE) BUILD=build-asan SAN='-fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=all' OPT=-O1 check-unit check-proto check-gdb check-kdump check-elfconv check-loader

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

bench: all $(BUILD)/bench/readpages
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

$(BUILD)/tests/cmppages: $(BUILD)/obj/tests/kdump/cmppages.o $(BUILD)/libvmcore.a
	@mkdir -p $(dir $@)
	@$(if $(V),,echo "  LD      $@")
	$(Q)$(CC) $(ALL_CFLAGS) -o $@ $^ $(LDLIBS)

check-kdump: all $(BUILD)/tests/mkkdump $(BUILD)/tests/cmppages
	@tests/kdump/run.sh $(BUILD)

# vmcore-loader without a crash: status, sizing, dry-run, save.
check-loader: all
	@tests/loader/run.sh $(BUILD)

# IDE front ends on the real x86_64 kdump: a gdb/MI session as cpptools
# drives it, a DAP session through cdt-gdb-adapter (npm packages in the
# user's cache), lldb's gdb-remote.
check-ide: all
	@tests/ide/run.sh $(BUILD)

# elfconv on the real dumps: conversions, refusals, full disk, progress.
check-elfconv: all $(BUILD)/tests/cmppages
	@tests/elfconv/run.sh $(BUILD)
