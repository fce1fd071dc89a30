# The build of libvmcore and vmcore-loader (with its purgatory): toolchain,
# flags and rules.  Included by the Makefile.  The real-dump fixtures made
# by our loader are keyed by this file (tests/real/lib-cache.sh
# LOADER_SOURCES), not by the Makefile, whose test targets do not change
# what the loader does.

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
VERSION := $(shell cat VERSION 2>/dev/null || echo 0.1)

LIB_SRCS = $(wildcard libvmcore/*.c) $(wildcard arch/*.c)
LIB_OBJS = $(LIB_SRCS:%.c=$(BUILD)/obj/%.o)

# libkernel/: the dumped kernel's model (vmlinux, types, tasks, modules,
# user address spaces, dump-level filtering) on top of libvmcore; the
# loader links it for save --format kdump's filter.
KERN_SRCS = $(wildcard libkernel/*.c)
KERN_OBJS = $(KERN_SRCS:%.c=$(BUILD)/obj/%.o)

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

Q = $(if $(V),,@)

$(BUILD)/obj/%.o: %.c
	@mkdir -p $(dir $@)
	@$(if $(V),,echo "  CC      $<")
	$(Q)$(CC) $(ALL_CFLAGS) -DVMC_VERSION='"$(VERSION)"' -MMD -MP -c -o $@ $<

$(BUILD)/libvmcore.a: $(LIB_OBJS)
	$(Q)$(AR) rcs $@ $^

$(BUILD)/libkernel.a: $(KERN_OBJS)
	$(Q)$(AR) rcs $@ $^

$(BUILD)/vmcore-loader: $(LOADER_OBJS) $(BUILD)/libkernel.a $(BUILD)/libvmcore.a
	@$(if $(V),,echo "  LD      $@")
	$(Q)$(CC) $(ALL_CFLAGS) -o $@ $^ $(LIB_LIBS)

# Statically linked, for capture initramfs images (loader/vmcore-mkinitramfs):
# no libc or libraries needed in the image.  save --format kdump needs the
# dump-level filter (libkernel.a) and every compression library: Debian's
# -dev packages ship them as .a files; snappy is C++, hence libstdc++ and
# libm (its libsnappy.a needs nothing else).
$(BUILD)/static/vmcore-loader: $(LOADER_OBJS) $(BUILD)/libkernel.a $(BUILD)/libvmcore.a
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
