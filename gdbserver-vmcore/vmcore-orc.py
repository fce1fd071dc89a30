# ORC unwinder for gdb on x86_64 kernel dumps served by gdbserver-vmcore
# (and the entry frames of i386 ones).
#
# gdb unwinds kernel frames with the vmlinux's DWARF CFI (.debug_frame),
# which the compiler writes for C code only.  It has nothing for the entry
# code (asm_sysvec_*, asm_common_interrupt, asm_exc_*, entry_SYSCALL_64,
# secondary_startup_64: no CFI at all) and is wrong inside C functions that
# switch stacks in inline asm (call_on_irqstack() in
# sysvec_apic_timer_interrupt and friends: the compiler knows nothing of
# the switch to the IRQ stack).  The kernel unwinds itself with ORC
# (arch/x86/kernel/unwind_orc.c): .orc_unwind_ip (one 32-bit offset per
# entry, relative to the entry's own address) and .orc_unwind (one 6-byte
# struct orc_entry per entry) describe every instruction of vmlinux,
# including stack switches (SP_INDIRECT), pt_regs frames (REGS: full
# struct pt_regs; REGS_PARTIAL: the iret frame) and the end of each stack.
#
# This unwinder reads those tables from gdb's vmlinux file and takes the
# frames DWARF cannot do: where ORC says the frame is special (indirect
# CFA, pt_regs, registers other than rsp/rbp as base, end of stack), where
# no DWARF FDE covers the pc, and frames interrupted by an exception or
# interrupt (their pc is exact, not a return address).  Every other frame
# is left to gdb's DWARF unwinder, which also recovers callee-saved
# registers.  A pt_regs frame from user mode (CS & 3) gives one frame at
# the user pc and the backtrace ends there.
#
# On i386 (no ORC; frame pointers, which DWARF follows) it takes only the
# entry code's frames (.entry.text, no CFI) through the struct pt_regs
# they saved, and the end of the stack: see _i386.
#
# It is active only when the current inferior's connection is to
# gdbserver-vmcore (a "target remote | ..." command that names it, else
# "monitor info version"), never on other targets.
# Loaded at gdb's start by `make install`'s file in gdb's system gdbinit
# directory; by hand: (gdb) source .../share/gdbserver-vmcore/vmcore-orc.py
# See gdbserver-vmcore(1), BACKTRACES, and docs/design.md.
import array
import bisect
import itertools
import operator
import os
import re
import struct
import sys
import time

import gdb
from gdb.FrameDecorator import FrameDecorator
from gdb.unwinder import Unwinder

# ORC_REG_* of arch/x86/include/asm/orc_types.h (unchanged since v4.14).
REG_UNDEFINED, REG_PREV_SP, REG_DX, REG_DI, REG_BP, REG_SP = 0, 1, 2, 3, 4, 5
REG_R10, REG_R13, REG_BP_INDIRECT, REG_SP_INDIRECT = 6, 7, 8, 9
# Entry types after normalizing every layout to v6.4's (see _decode).
T_UNDEFINED, T_END, T_CALL, T_REGS, T_REGS_PARTIAL = 0, 1, 2, 3, 4

# .orc_header (v6.4+, also 6.3.10+): a hash of orc_types.h.  Values from
# the kernel's scripts/orc_hash.sh as drgn's libdrgn/orc_info.c lists them.
_ORC_HASH_6_4 = bytes.fromhex("fe5d32bf581bd63b2ca9a5c65ba5a625eab3fe24")
_ORC_HASH_6_3 = bytes.fromhex("db84aed4103b31dd51e017f8f79783ca985c2c51")

# struct pt_regs (arch/x86/include/asm/ptrace.h), offsets in bytes.
_PT_REGS = (("r15", 0), ("r14", 8), ("r13", 16), ("r12", 24), ("rbp", 32),
            ("rbx", 40), ("r11", 48), ("r10", 56), ("r9", 64), ("r8", 72),
            ("rax", 80), ("rcx", 88), ("rdx", 96), ("rsi", 104),
            ("rdi", 112), ("rip", 128), ("cs", 136), ("eflags", 144),
            ("rsp", 152), ("ss", 160))
# The iret frame (REGS_PARTIAL points at it): ip, cs, flags, sp, ss.
_IRET = (("rip", 0), ("cs", 8), ("eflags", 16), ("rsp", 24), ("ss", 32))
# Registers a frame passes on unchanged unless ORC or pt_regs say
# otherwise (gdb's own convention for registers DWARF does not describe).
_PASS = ("rax", "rbx", "rcx", "rdx", "rsi", "rdi", "rbp", "r8", "r9", "r10",
         "r11", "r12", "r13", "r14", "r15", "eflags", "cs", "ss", "ds", "es",
         "fs", "gs")
_BASE = {REG_DX: "rdx", REG_DI: "rdi", REG_R10: "r10", REG_R13: "r13"}
_MASK = (1 << 64) - 1
_MASK32 = (1 << 32) - 1
# i386 struct pt_regs, 4 bytes each, in gdb's register names.
_PT_REGS32 = ("ebx", "ecx", "edx", "esi", "edi", "ebp", "eax", "ds", "es",
              "fs", "gs", "orig_ax", "eip", "cs", "eflags", "esp", "ss")
# The first stop reason that is an error (gdb 13 has no name for it).
_FIRST_ERROR = getattr(gdb, "FRAME_UNWIND_FIRST_ERROR",
                       gdb.FRAME_UNWIND_UNAVAILABLE)


# An FDE's head (32-bit DWARF): length, CIE pointer, initial location,
# address range; and struct orc_entry: sp_offset, bp_offset, flags.
_FDE_HEAD = struct.Struct("<IIQQ")
_U32 = struct.Struct("<I")
_ORC_ENTRY = struct.Struct("<hhH")


class OrcError(Exception):
    pass


class _Elf:
    """The few ELF64 little-endian facts needed, read with struct."""

    def __init__(self, path):
        self.f = open(path, "rb")
        hdr = self.f.read(64)
        if hdr[:4] != b"\x7fELF" or hdr[4] != 2 or hdr[5] != 1:
            raise OrcError("%s: not an ELF64 little-endian file" % path)
        shoff, = struct.unpack_from("<Q", hdr, 0x28)
        shentsize, shnum, shstrndx = struct.unpack_from("<HHH", hdr, 0x3a)
        self.f.seek(shoff)
        raw = self.f.read(shentsize * shnum)
        self.shdrs = [struct.unpack_from("<IIQQQQIIQQ", raw, i * shentsize)
                      for i in range(shnum)]
        names = self.data(self.shdrs[shstrndx])
        self.sections = {}
        for sh in self.shdrs:
            end = names.index(b"\0", sh[0])
            self.sections.setdefault(names[sh[0]:end].decode(), sh)

    def data(self, sh):
        self.f.seek(sh[4])
        return self.f.read(sh[5])

    def section(self, name):
        sh = self.sections.get(name)
        return (sh[3], self.data(sh)) if sh else (None, None)

    def symbol(self, name):
        """st_value of the first .symtab symbol NAME, or None."""
        symtab = self.sections.get(".symtab")
        if symtab is None:
            return None
        strs = self.data(self.shdrs[symtab[6]])
        want = b"\0" + name.encode() + b"\0"
        at = strs.find(want)
        if at < 0:
            return None
        data = self.data(symtab)
        key = struct.pack("<I", at + 1)
        i = data.find(key)
        while i >= 0:
            if i % 24 == 0:
                return struct.unpack_from("<Q", data, i + 8)[0]
            i = data.find(key, i + 1)
        return None

    def close(self):
        self.f.close()

    @staticmethod
    def is_orc_executable(path):
        try:
            elf = _Elf(path)
        except (OSError, OrcError, ValueError, struct.error):
            return False
        try:
            elf.f.seek(16)
            e_type, = struct.unpack("<H", elf.f.read(2))
            return e_type == 2 and ".orc_unwind_ip" in elf.sections
        finally:
            elf.close()


def _orc_version(elf, release):
    """1: up to 6.2 (type:2 end:1), 2: 6.3 (type:2 signal:1 end:1),
    3: 6.4+ (type:3 signal:1; UNDEFINED and END_OF_STACK are types)."""
    _, header = elf.section(".orc_header")
    if header is not None:
        if header == _ORC_HASH_6_4:
            return 3
        if header == _ORC_HASH_6_3:
            return 2
        raise OrcError("unknown .orc_header %s" % header.hex())
    nums = [int(x) for x in release.split("-")[0].split(".")[:2]
            if x.isdigit()] if release else []
    if len(nums) == 2 and tuple(nums) >= (6, 4):
        return 3
    if len(nums) == 2 and tuple(nums) == (6, 3):
        return 2
    return 1


def _decode(version, flags):
    """(sp_reg, bp_reg, type, signal) of an orc_entry's flags half-word,
    normalized to v6.4's types.  Bit layouts (little-endian bitfields):
    sp_reg 0-3, bp_reg 4-7, then v1: type 8-9, end 10; v2: type 8-9,
    signal 10, end 11; v3: type 8-10, signal 11."""
    sp_reg, bp_reg = flags & 0xf, (flags >> 4) & 0xf
    if version >= 3:
        return sp_reg, bp_reg, (flags >> 8) & 7, bool(flags & 0x800)
    end = flags & (0x800 if version == 2 else 0x400)
    if sp_reg == REG_UNDEFINED:
        return sp_reg, bp_reg, T_END if end else T_UNDEFINED, False
    old = (flags >> 8) & 3      # 0 CALL, 1 REGS, 2 REGS_PARTIAL
    signal = bool(flags & 0x400) if version == 2 else old != 0
    return sp_reg, bp_reg, old + T_CALL, signal or old != 0


def _entry_offsets(data):
    """The offsets of .debug_frame's entries: the walk from one length
    field to the next, while at least 8 bytes are left.  DWARF pads every
    entry to a multiple of the address size, so the walk goes by 32-bit
    words (no unpacking); if any length is not a multiple of 4 (a word
    walk would then have gone astray after it, but read that length
    right), the walk is done again byte by byte."""
    size = len(data)
    if sys.byteorder == "little":
        words = memoryview(data)[:size & ~3].cast("I")
        at = []
        add = at.append
        i, last = 0, (size - 8) >> 2
        while i <= last:
            add(i)
            i += 1 + (words[i] >> 2)
        if not any(map(operator.and_, map(words.__getitem__, at),
                       itertools.repeat(3))):
            return [4 * i for i in at]
    at = []
    add, length_at = at.append, _U32.unpack_from
    off = 0
    while off + 8 <= size:
        add(off)
        off += 4 + length_at(data, off)[0]
    return at


def _fde_ranges(data):
    """Sorted, merged [start, end) ranges .debug_frame's FDEs cover (32-bit
    DWARF, 8-byte addresses: what the kernel's compilers write).

    The one Python loop follows the length fields (48,185 entries in
    6.1's vmlinux); the rest runs in C (map, compress, sorted,
    accumulate).  A zero length is a 4-byte terminator: the walk steps
    over it the same way, and it is no FDE."""
    size = len(data)
    length_at = _U32.unpack_from
    at = _entry_offsets(data)
    # A 64-bit DWARF entry (length 0xffffffff) ends the walk: it can only
    # be the last one.
    if at and length_at(data, at[-1])[0] == 0xffffffff:
        raise OrcError(".debug_frame uses 64-bit DWARF")
    # Entries whose head is whole (an FDE's is 24 bytes; the last ones
    # may be CIEs or terminators too short for it): (length, CIE pointer,
    # start, range); FDEs are those with a length, a CIE pointer (a CIE
    # has 0xffffffff there) and a range.
    whole = bisect.bisect_right(at, size - 24)
    heads = list(map(_FDE_HEAD.unpack_from, itertools.repeat(data, whole),
                     at[:whole]))
    first, second, third, fourth = (operator.itemgetter(i)
                                    for i in range(4))
    keep = map(all, zip(map(first, heads),
                        map(operator.ne, map(second, heads),
                            itertools.repeat(0xffffffff)),
                        map(fourth, heads)))
    fdes = sorted(itertools.compress(heads, keep), key=third)
    if not fdes:
        return [], []
    starts = list(map(third, fdes))
    # ends[i]: the end of the merged range holding FDE i so far.
    ends = list(itertools.accumulate(
        map(operator.add, starts, map(fourth, fdes)), max))
    # A range starts a new merged one where it begins after every range
    # before it ends.
    new = list(map(operator.gt, starts[1:], ends[:-1]))
    return ([starts[0]] + list(itertools.compress(starts[1:], new)),
            list(itertools.compress(ends[:-1], new)) + [ends[-1]])


class _OrcIps:
    """The addresses of .orc_unwind_ip's entries (each a 32-bit offset
    from its own address), computed when bisect asks for one: reading the
    table is one copy of the section, whatever its size."""

    def __init__(self, base, data):
        self.base = base
        self.offs = array.array("i")
        self.offs.frombytes(data)
        if sys.byteorder != "little":
            self.offs.byteswap()

    def __len__(self):
        return len(self.offs)

    def __getitem__(self, i):
        if i < 0:               # as a list would: ips[-1] is the last
            i += len(self.offs)
            if i < 0:
                raise IndexError("ORC entry index out of range")
        return self.base + 4 * i + self.offs[i]

    def is_sorted(self):
        rel = array.array("q", map(operator.add, self.offs,
                                   range(0, 4 * len(self.offs), 4)))
        return all(map(operator.le, rel, itertools.islice(rel, 1, None)))

    def sorted(self):
        """A sorted copy of the addresses, and the order of the entries."""
        order = sorted(range(len(self.offs)), key=self.__getitem__)
        return array.array("Q", map(self.__getitem__, order)), order


def _sorted_at_build(elf, release):
    """Whether vmlinux's ORC table is sorted in the file: since Linux 5.6
    scripts/sorttable sorts it at build time and the kernel's
    unwind_init() binary-searches it as it is ("already sorted at build
    time via the 'sorttable' tool"); before, the kernel sorted it at
    boot.  A module's table is sorted at load time, never in the .ko."""
    elf.f.seek(16)
    e_type, = struct.unpack("<H", elf.f.read(2))
    if e_type != 2:
        return False
    if ".orc_header" in elf.sections:   # 6.3.10+ and 6.4+
        return True
    nums = [int(x) for x in release.split("-")[0].split(".")[:2]
            if x.isdigit()] if release else []
    return len(nums) == 2 and tuple(nums) >= (5, 6)


class OrcTable:
    """One vmlinux's ORC entries, sorted, with the KASLR slide.  The
    addresses stay the section's offsets (computed by bisect's probes),
    the entries the section's bytes, decoded at lookup and cached by
    address."""

    def __init__(self, path, slide_of, release):
        t0 = time.perf_counter()
        elf = _Elf(path)
        try:
            ip_base, ip_data = elf.section(".orc_unwind_ip")
            _, orc_data = elf.section(".orc_unwind")
            if ip_data is None or orc_data is None:
                raise OrcError("%s has no .orc_unwind_ip/.orc_unwind" % path)
            n = len(ip_data) // 4
            if len(ip_data) % 4 or len(orc_data) != 6 * n or n == 0:
                raise OrcError("%s: .orc_unwind_ip and .orc_unwind sizes "
                               "do not match" % path)
            self.version = _orc_version(elf, release)
            self.ips = _OrcIps(ip_base, ip_data)
            self.orc = orc_data
            if not (_sorted_at_build(elf, release) or self.ips.is_sorted()):
                self.ips, order = self.ips.sorted()
                self.orc = b"".join(orc_data[6 * i:6 * i + 6] for i in order)
            stext = elf.symbol("_stext")
            if stext is None:
                raise OrcError("%s has no _stext symbol" % path)
            self.slide = slide_of("_stext", stext)
            _, frame = elf.section(".debug_frame")
            self.fde_starts, self.fde_ends = (
                _fde_ranges(frame) if frame is not None else ([], []))
        finally:
            elf.close()
        self.cache = {}
        self.load_seconds = time.perf_counter() - t0    # make bench

    def find(self, pc):
        """(sp_reg, bp_reg, type, signal, sp_offset, bp_offset) for the
        run-time address pc, or None outside vmlinux's ORC range."""
        try:
            return self.cache[pc]
        except KeyError:
            pass
        a = pc - self.slide
        i = bisect.bisect_right(self.ips, a) - 1
        if i < 0 or i == len(self.ips) - 1:
            got = None        # before the first entry, or past the last
        else:
            sp_off, bp_off, flags = _ORC_ENTRY.unpack_from(self.orc, 6 * i)
            got = _decode(self.version, flags) + (sp_off, bp_off)
        self.cache[pc] = got
        return got

    def has_fde(self, pc):
        a = pc - self.slide
        i = bisect.bisect_right(self.fde_starts, a) - 1
        return i >= 0 and a < self.fde_ends[i]


class ModuleOrcs:
    """Every loaded module's ORC tables, as the kernel unwinds modules
    (arch/x86/kernel/unwind_orc.c orc_module_find()): the module whose
    core text holds the pc, then its own table, module->arch.orc_unwind_ip
    (32-bit offsets, each relative to itself, sorted at load by
    unwind_module_init()) and orc_unwind (6-byte entries), num_orcs of
    each.  The text is core_layout (base, text_size) up to 6.3,
    mem[MOD_TEXT] (base, size) from 6.4 (commit ac3b43283923)."""

    MAX_MODULES = 8192
    MAX_ORCS = 1 << 20

    def __init__(self):
        self.starts, self.mods = [], []     # sorted by text start
        try:
            head = gdb.parse_and_eval("&modules")
            mod_t = gdb.lookup_type("struct module")
        except gdb.error:
            return
        off = [f.bitpos // 8 for f in mod_t.fields() if f.name == "list"]
        node, found = head["next"], []
        while off and int(node) != int(head) and \
                len(found) < self.MAX_MODULES:
            try:
                m = gdb.Value(int(node) - off[0]).cast(
                    mod_t.pointer()).dereference()
                found.append(self._read(m))
                node = node["next"]
            except (gdb.error, gdb.MemoryError):
                break           # what was read is kept
        found = sorted(t for t in found if t is not None)
        self.starts = [t[0] for t in found]
        self.mods = found

    @staticmethod
    def _text(m):
        try:
            lay = m["core_layout"]
            return int(lay["base"]), int(lay["text_size"])
        except gdb.error:
            mem = m["mem"][0]
            return int(mem["base"]), int(mem["size"])

    def _read(self, m):
        """(text start, text end, sorted ips, entries) or None."""
        base, size = self._text(m)
        arch = m["arch"]
        n = int(arch["num_orcs"])
        if n <= 0 or n > self.MAX_ORCS or not size:
            return None
        ip_addr = int(arch["orc_unwind_ip"]) & _MASK
        inf = gdb.selected_inferior()
        offs = struct.unpack("<%di" % n, bytes(inf.read_memory(ip_addr,
                                                               4 * n)))
        orc = bytes(inf.read_memory(int(arch["orc_unwind"]) & _MASK, 6 * n))
        ips = [(ip_addr + 4 * i + o) & _MASK for i, o in enumerate(offs)]
        if any(ips[i] > ips[i + 1] for i in range(n - 1)):
            order = sorted(range(n), key=ips.__getitem__)
            ips = [ips[i] for i in order]
            orc = b"".join(orc[6 * i:6 * i + 6] for i in order)
        return (base & _MASK, (base + size) & _MASK, ips, orc)

    def find(self, pc, version):
        i = bisect.bisect_right(self.starts, pc) - 1
        if i < 0 or pc >= self.mods[i][1]:
            return None
        _, _, ips, orc = self.mods[i]
        k = bisect.bisect_right(ips, pc) - 1
        if k < 0:
            return None
        sp_off, bp_off, flags = struct.unpack_from("<hhH", orc, 6 * k)
        return _decode(version, flags) + (sp_off, bp_off)


class OrcUnwinder(Unwinder):
    def __init__(self):
        super().__init__("gdbserver-vmcore ORC")
        self.tables = {}        # objfile filename -> OrcTable or None
        self.table = False      # the vmlinux's, None, or False: look
        self.active = {}        # connection num -> bool
        self.exact = {}         # (sp, pc) of frames a pt_regs gave -> user?
        self.ends = set()       # (sp, pc) of the last frame of a stack
        self.bias = {}          # (sp, pc) -> added to sp for the frame id
        self.types = {}
        self.syms = {}          # i386: symbol facts, by name or pc
        self.warned = set()

    # ---- when to be active -------------------------------------------
    def is_active(self):
        """Whether the current connection is to gdbserver-vmcore."""
        return self._is_ours()

    def _is_ours(self):
        inf = gdb.selected_inferior()
        conn = getattr(inf, "connection", None)
        if conn is None or conn.type not in ("remote", "extended-remote"):
            return False
        got = self.active.get(conn.num)
        if got is None:
            # "target remote | gdbserver-vmcore ..." (also through ssh or
            # sudo) names it; a TCP or Unix socket connection is asked.
            got = "gdbserver-vmcore" in (conn.details or "")
            if not got:
                try:
                    ver = gdb.execute("monitor info version",
                                      to_string=True)
                except gdb.error:
                    ver = ""
                got = ver.startswith("gdbserver-vmcore ")
            self.active[conn.num] = got
            # A new connection: what was learnt of the last dump's stacks
            # does not hold.
            self.exact.clear()
            self.ends.clear()
            self.bias.clear()
        return got

    def _table(self):
        """The vmlinux's table: the first objfile that is an ELF
        executable with ORC sections (not a module's relocatable .ko).
        Looked for again when gdb's objfiles change (symbol-file,
        add-symbol-file, vmcore-percpu-at-zero...)."""
        if self.table is not False:
            return self.table
        self.table = None
        for objfile in gdb.objfiles():
            path = objfile.filename
            if not path or not _Elf.is_orc_executable(path):
                continue
            if path not in self.tables:
                try:
                    self.tables[path] = OrcTable(path, self._slide,
                                                 self._release())
                except (OSError, OrcError, gdb.error) as e:
                    self._warn("vmcore-orc: no ORC unwinding: %s" % e)
                    self.tables[path] = None
            self.table = self.tables[path]
            break
        return self.table

    def objfiles_changed(self, _event=None):
        self.table = False
        self.syms.clear()
        self.tables.clear()     # the KASLR slide may have changed too

    @staticmethod
    def _slide(name, file_value):
        v = gdb.parse_and_eval("(unsigned long)&%s" % name)
        return (int(v) - file_value) & _MASK

    @staticmethod
    def _release():
        try:
            return gdb.parse_and_eval(
                "init_uts_ns.name.release").string()
        except gdb.error:
            return ""

    def _warn(self, msg):
        if msg not in self.warned:
            self.warned.add(msg)
            gdb.write(msg + "\n", gdb.STDERR)

    # ---- helpers -----------------------------------------------------
    def _u64(self, addr):
        m = gdb.selected_inferior().read_memory(addr & _MASK, 8)
        return struct.unpack("<Q", bytes(m))[0]

    def _value(self, pf, name, x):
        t = self.types.get(name)
        if t is None:
            t = self.types[name] = pf.read_register(name).type
        return gdb.Value(struct.pack("<Q", x & _MASK)[:t.sizeof], t)

    # ---- the unwinder --------------------------------------------------
    def __call__(self, pf):
        arch = pf.architecture().name()
        if arch == "i386":
            if not self._is_ours():
                return None
            try:
                return self._i386(pf)
            except gdb.MemoryError:
                return None
        if arch != "i386:x86-64" or not self._is_ours():
            return None
        table = self._table()
        if table is None:
            return None
        pc = int(pf.read_register("rip")) & _MASK
        sp = int(pf.read_register("rsp")) & _MASK
        key = (sp, pc)
        bias = self.bias.get(key, 0)
        if key in self.exact and self.exact[key]:
            return self._end(pf, sp, pc, bias)  # user mode: the last frame
        # A return address is looked up at pc - 1 (the call may be a
        # function's last instruction); an interrupted pc as it is.
        look = pc if key in self.exact or pf.level() == 0 else pc - 1
        orc = table.find(look)
        if orc is None:
            orc = self._module_orc(table, look)
        if orc is None:
            return None
        sp_reg, bp_reg, typ, signal, sp_off, bp_off = orc
        if typ == T_UNDEFINED:
            return None
        if typ == T_END:
            if key in self.exact and self._called_here(table, sp, pc):
                # Interrupted at the first instruction of a function
                # whose ORC entry ends the stack (UNWIND_HINT_EMPTY at a
                # retpoline thunk): its return address is at sp.
                orc = (REG_SP, REG_UNDEFINED, T_CALL, False, 8, 0)
                try:
                    return self._unwind(pf, sp, pc, orc, bias)
                except gdb.MemoryError:
                    pass
            return self._end(pf, sp, pc, bias)
        special = (key in self.exact or bias or typ != T_CALL or
                   sp_reg not in (REG_SP, REG_BP) or not table.has_fde(look))
        if not special:
            return None
        try:
            return self._unwind(pf, sp, pc, orc, bias)
        except gdb.MemoryError:
            return None

    # ---- modules' ORC ---------------------------------------------------
    def _module_orc(self, table, pc):
        """The ORC entry of pc in a loaded module's text, from the tables
        the kernel keeps in the module's memory, or None.  Read once per
        connection (the dump does not change)."""
        conn = gdb.selected_inferior().connection
        cache = self.__dict__.setdefault("module_orcs", {})
        mods = cache.get(conn.num)
        if mods is None:
            mods = cache[conn.num] = ModuleOrcs()
        return mods.find(pc, table.version)

    # ---- i386 (frame pointers, no ORC) --------------------------------
    def _i386_range(self, start, end):
        key = (start, end)
        got = self.syms.get(key)
        if got is None:
            try:
                got = (int(gdb.parse_and_eval("(unsigned long)&%s" % start)),
                       int(gdb.parse_and_eval("(unsigned long)&%s" % end)))
            except gdb.error:
                got = (0, 0)
            self.syms[key] = got
        return got

    def _i386_outermost(self, pc):
        """Whether pc is in startup_32_smp (head_32.S), where every i386
        kernel stack that is not a user task's begins: CPU 0's
        (i386_start_kernel) and the other CPUs' (initial_code =
        start_secondary) idle stacks."""
        key = ("outermost", pc)
        got = self.syms.get(key)
        if got is None:
            try:
                sym = gdb.execute("info symbol 0x%x" % pc, to_string=True)
            except gdb.error:
                sym = ""
            got = self.syms[key] = sym.split(" ")[0] == "startup_32_smp"
        return got

    def _i386(self, pf):
        """The i386 entry code (.entry.text: handle_exception,
        common_interrupt, entry_INT80_32, entry_SYSENTER_32...) has no
        DWARF CFI.  It saves a struct pt_regs and calls C with its address
        in %eax; for kernel-mode entries ENCODE_FRAME_POINTER leaves
        %ebp = &pt_regs with the top bit cleared (the kernel's
        unwind_frame.c decode_frame_pointer()).  The entry frame's own sp
        (the caller's CFA) is that address too.  Its caller is the
        interrupted context: all of it in pt_regs (kernel-mode pt_regs are
        complete: FIXUP_FRAME in 6.1); a user-mode one is the last
        frame."""
        pc = int(pf.read_register("eip")) & _MASK32
        sp = int(pf.read_register("esp")) & _MASK32
        key = (sp, pc)
        bias = self.bias.get(key, 0)
        if key in self.exact and self.exact[key]:
            return self._end(pf, sp, pc, bias, "eip", "esp")
        if self._i386_outermost(pc):
            return self._end(pf, sp, pc, bias, "eip", "esp")
        start, end = self._i386_range("__entry_text_start",
                                      "__entry_text_end")
        try:
            bp = int(pf.read_register("ebp")) & _MASK32
        except gdb.error:
            # Unavailable (a sleeping task's frames where no CFI saved it):
            # the entry frame's pt_regs is then found at its sp.
            bp = 0
        if not start <= pc < end or pf.level() == 0:
            if bias or (pf.level() > 0 and bp and bp + 8 < sp):
                return self._i386_fp(pf, sp, pc, bp, bias)
            return None
        try:
            kcs = int(pf.read_register("cs")) & 0xffff
        except gdb.error:
            # A sleeping task's frames (switch_to saves no cs):
            # __KERNEL_CS, GDT entry 12 (arch/x86/include/asm/segment.h,
            # unchanged since v2.6.24).
            kcs = 12 * 8
        inf = gdb.selected_inferior()
        for at in ((bp | 0x80000000) if bp and not bp & 0x80000000 else None,
                   sp):
            if at is None:
                continue
            try:
                raw = bytes(inf.read_memory(at, 4 * len(_PT_REGS32)))
            except gdb.MemoryError:
                continue
            regs = dict((name, struct.unpack_from("<I", raw, 4 * i)[0])
                        for i, name in enumerate(_PT_REGS32))
            cs = regs["cs"] & 0xffff
            # From user mode, or from the kernel with the interrupted sp
            # above the pt_regs (on the same stack).
            if cs & 3 == 3 or (cs == kcs and regs["esp"] > at):
                break
        else:
            return None
        del regs["orig_ax"]
        regs["cs"], regs["ss"] = cs, regs["ss"] & 0xffff
        for seg in ("ds", "es", "fs", "gs"):
            regs[seg] &= 0xffff
        caller = (regs["esp"], regs["eip"])
        self.exact[caller] = bool(cs & 3)
        return self._i386_info(pf, sp, pc, bias, regs)

    def _i386_info(self, pf, sp, pc, bias, regs):
        """This frame's unwind info (id: its sp plus bias) with the
        caller's registers; when the caller's stack lies below this frame
        (the user stack, or the task stack below the IRQ stack) its id
        gets a bias that keeps frame ids growing (see _unwind)."""
        me = sp + bias
        caller = (regs["esp"], regs["eip"])
        if caller[0] < me:
            self.bias[caller] = me - caller[0]
        info = pf.create_unwind_info(_FrameId(me, pc))
        for name, x in regs.items():
            info.add_saved_register(name, self._value(pf, name, x))
        return info

    def _i386_fp(self, pf, sp, pc, bp, bias):
        """A frame whose caller is on a lower stack, and every frame after
        it: the IRQ stack switch (call_on_stack() in irq_32.c's
        execute_on_irq_stack(): xchg of %esp, call) is inside a C
        function whose DWARF CFA is %ebp-based, right, but it takes gdb
        from the IRQ stack to the task stack below it, where gdb stops
        ("previous frame inner to this frame").  Frame pointers give the
        caller (%ebp -> saved %ebp, return address; sp = %ebp + 8); the
        ids are biased.  Callee-saved registers pass through."""
        raw = bytes(gdb.selected_inferior().read_memory(bp, 8))
        caller_bp, ret = struct.unpack("<II", raw)
        regs = {"eip": ret, "esp": bp + 8, "ebp": caller_bp}
        for name in ("eax", "ebx", "ecx", "edx", "esi", "edi", "eflags",
                     "cs", "ss", "ds", "es", "fs", "gs"):
            try:
                regs[name] = int(pf.read_register(name)) & _MASK32
            except (gdb.error, ValueError):
                pass
        return self._i386_info(pf, sp, pc, bias, regs)

    def _end(self, pf, sp, pc, bias, ip="rip", spreg="rsp"):
        # gdb 13's and 16's Python unwinders cannot mark a frame outermost
        # (no outer frame id; an unsaved pc is an error, a repeated frame
        # id a "corrupt stack?" stop).  A caller at pc 0 is where gdb
        # stops without a word (frame.c, "zero PC"); _ZeroFrameFilter
        # keeps that frame out of backtraces.
        self.ends.add((sp, pc))
        info = pf.create_unwind_info(_FrameId(sp + bias, pc))
        info.add_saved_register(ip, self._value(pf, ip, 0))
        info.add_saved_register(spreg, self._value(pf, spreg, sp))
        if ip == "eip":
            # gdb's i386 prologue unwinder, tried on the pc-0 frame, reads
            # its %ebp ("Register 5 was not saved" otherwise): 0, the
            # end of the frame pointer chain.
            info.add_saved_register("ebp", self._value(pf, "ebp", 0))
        return info

    def _called_here(self, table, sp, pc):
        """Whether the word at sp is the return address of a direct call
        (e8 rel32) to pc from vmlinux code: then pc is the first
        instruction of the called function and nothing is pushed yet.
        The kernel's and drgn's ORC unwinders stop at such a pc when its
        entry says the stack ends (the retpoline thunks'
        UNWIND_HINT_EMPTY); crash goes on, and so does this."""
        try:
            ret = self._u64(sp)
            if table.find(ret - 1) is None:
                return False
            code = bytes(gdb.selected_inferior().read_memory(ret - 5, 5))
        except gdb.MemoryError:
            return False
        return code[0] == 0xe8 and \
            (ret + struct.unpack("<i", code[1:])[0]) & _MASK == pc

    def _cfa(self, pf, sp, sp_reg, sp_off):
        if sp_reg == REG_SP:
            return sp + sp_off
        if sp_reg == REG_BP:
            return (int(pf.read_register("rbp")) & _MASK) + sp_off
        if sp_reg == REG_SP_INDIRECT:   # *sp + offset since v5.12
            return self._u64(sp) + sp_off
        if sp_reg == REG_BP_INDIRECT:
            return self._u64((int(pf.read_register("rbp")) & _MASK) + sp_off)
        if sp_reg in _BASE:
            return int(pf.read_register(_BASE[sp_reg])) & _MASK
        raise gdb.MemoryError("unknown ORC sp_reg %d" % sp_reg)

    def _unwind(self, pf, sp, pc, orc, bias):
        sp_reg, bp_reg, typ, signal, sp_off, bp_off = orc
        cfa = self._cfa(pf, sp, sp_reg, sp_off) & _MASK
        regs = {}
        if typ == T_CALL:
            regs["rip"] = self._u64(cfa - 8)
            regs["rsp"] = cfa
        else:
            layout = _PT_REGS if typ == T_REGS else _IRET
            raw = bytes(gdb.selected_inferior().read_memory(
                cfa, 8 * (1 + max(o for _, o in layout) // 8)))
            for name, o in layout:
                regs[name] = struct.unpack_from("<Q", raw, o)[0]
        if bp_reg == REG_PREV_SP:
            regs["rbp"] = self._u64(cfa + bp_off)
        elif bp_reg == REG_BP:
            regs["rbp"] = self._u64(
                (int(pf.read_register("rbp")) & _MASK) + bp_off)
        if typ in (T_REGS, T_REGS_PARTIAL) or signal:
            # The caller is an interrupted context (6.3+ also marks some
            # CALL entries so): its pc is exact, and in user mode it is
            # the last frame.
            self.exact[(regs["rsp"] & _MASK, regs["rip"] & _MASK)] = \
                bool(regs.get("cs", 0) & 3)
        # Frame ids.  gdb stops ("previous frame inner to this frame
        # (corrupt stack?)") when a frame's id is below the newer frame's,
        # and the stack an interrupt left can lie below the IRQ or
        # exception stack.  So an id is the frame's own sp (where a DWARF
        # frame's id, its CFA, is the newer frame's sp: they agree), plus,
        # once unwinding went down to a lower stack, a bias that keeps the
        # ids growing; every frame from there on is this unwinder's, so no
        # DWARF frame's real address comes after a biased one.
        me = sp + bias
        caller = (regs["rsp"] & _MASK, regs["rip"] & _MASK)
        caller_bias = max(bias, me - caller[0])
        if caller_bias:
            self.bias[caller] = caller_bias
        info = pf.create_unwind_info(_FrameId(me, pc))
        for name in _PASS:
            if name not in regs:
                try:
                    v = pf.read_register(name)
                    int(v)      # raises if <not saved> or unavailable
                except gdb.error:
                    continue
                info.add_saved_register(name, v)
        for name, x in regs.items():
            info.add_saved_register(name, self._value(pf, name, x))
        return info


class _FrameId:
    """gdb 13 takes the frame id's parts as gdb.Value objects."""

    def __init__(self, sp, pc):
        u64 = gdb.lookup_type("unsigned long long")
        self.sp = gdb.Value(struct.pack("<Q", min(sp, _MASK)), u64)
        self.pc = gdb.Value(struct.pack("<Q", pc & _MASK), u64)


class _ZeroFrameFilter:
    """Drops the pc-0 frame gdb shows after the end of a stack."""

    def __init__(self, unwinder):
        self.name = "gdbserver-vmcore ORC end of stack"
        self.priority = 100
        self.unwinder = unwinder
        self._enabled = True

    # Enabled only on gdbserver-vmcore connections: with any enabled frame
    # filter gdb prints backtraces its Python way, slightly differently.
    @property
    def enabled(self):
        return self._enabled and self.unwinder.is_active()

    @enabled.setter
    def enabled(self, value):
        self._enabled = value

    def filter(self, frames):
        return self._frames(frames)

    def _frames(self, frames):
        last = None
        inlined = []    # inline frames before the frame they are inlined in
        for fd in frames:
            if self._after_end(fd):
                continue
            frame = fd.inferior_frame()
            if frame.type() == gdb.INLINE_FRAME:
                inlined.append(fd)
                continue
            if _interrupted(frame):
                inlined = _inlined_at_pc(fd, inlined)
            else:
                inlined = [_Named(i) for i in inlined]
            yield from inlined
            inlined = []
            last = fd
            yield _Named(fd)
        for i in inlined:
            last = i
            yield _Named(i)
        # gdb prints no "Backtrace stopped: ..." line for a filtered
        # backtrace: say it as gdb would have.
        if last is not None:
            reason = last.inferior_frame().unwind_stop_reason()
            if reason >= _FIRST_ERROR:
                gdb.write("Backtrace stopped: %s\n" %
                          gdb.frame_stop_reason_string(reason))

    def _after_end(self, fd):
        frame = fd.inferior_frame()
        if frame.pc() != 0:
            return False
        newer = frame.newer()
        if newer is None:
            return False
        arch = newer.architecture().name()
        sp = int(newer.read_register(
            {"i386": "esp", "aarch64": "sp"}.get(arch, "rsp"))) & _MASK
        return (sp, newer.pc()) in self.unwinder.ends


def _inlined_at_pc(fd, inlined):
    """The inline frames of an interrupted frame FD, innermost first, as
    they are at its pc: gdb made INLINED (its frame decorators) at pc - 1,
    which can hold inline calls that the pc is not in (the interrupt came
    right after one) and lack the one the pc starts (the interrupt came
    at its first instruction).  Those gdb made and the pc is in are kept;
    the others at the pc are added, named after their function, with no
    arguments (a Python frame filter cannot make gdb frames).  gdb numbers
    a decorator by the gdb frame under it, once per frame: an added one
    takes the frame of one dropped, else FD's, which then prints without
    its number."""
    pc = fd.inferior_frame().pc()
    at = _functions_at(pc)[:-1]
    made = {i.inferior_frame().name(): i for i in inlined}
    spare = [i for i in inlined if i.inferior_frame().name() not in at]
    out = []
    for depth, name in enumerate(at):
        if name in made:
            out.append(_Named(made[name]))
        else:
            carrier = spare.pop(0) if spare else fd
            out.append(_AddedInline(carrier, name,
                                    pc if depth == 0 else None))
    return out


class _AddedInline(FrameDecorator):
    """An inline frame at an interrupted pc that gdb did not make (see
    _inlined_at_pc): its function's name, and the pc's file and line when
    it is the innermost one (an outer one's line would be the call site
    of the next, which gdb's Python API does not give)."""

    def __init__(self, outer, name, pc):
        super().__init__(outer)
        self._name = name
        self._sal = None
        if pc is not None:
            sal = gdb.find_pc_line(pc)
            if sal.symtab is not None and sal.line:
                self._sal = sal

    def function(self):
        return self._name

    def address(self):
        return None

    def filename(self):
        return self._sal.symtab.filename if self._sal else None

    def line(self):
        return self._sal.line if self._sal else None

    def frame_args(self):
        return None

    def frame_locals(self):
        return None

    def elided(self):
        return None


def _functions_at(pc):
    """The functions whose code is at PC, innermost first: the inlined
    ones, then the one they are inlined in."""
    try:
        block = gdb.block_for_pc(pc)
    except RuntimeError:
        return []
    out = []
    while block is not None and not block.is_global and not block.is_static:
        if block.function is not None:
            out.append(block.function.name)
        block = block.superblock
    return out


class _Named(FrameDecorator):
    """Names frames as gdb's own backtrace does ("??" when nothing is
    known): gdb 13's FrameDecorator returns the pc, which gdb looks up at
    the pc itself (not at pc - 1, as for callers) and prints as nothing
    when unknown; gdb 16's returns "???".  An interrupted kernel frame
    (a pt_regs frame's caller) is named after the function at its pc:
    gdb names every frame but the newest by pc - 1, the previous
    function's name when the interrupt came at a function's first
    instruction (a timer interrupt at __x86_indirect_thunk_array+0 was
    "__static_call_text_end")."""

    def function(self):
        name = _exact_name(self.inferior_frame())
        if name:
            return name
        func = super().function()
        if isinstance(func, int) or not func or func == "???":
            func = self.inferior_frame().name() or "??"
        return func

    # An interrupted frame's line is the one at its pc, not at pc - 1,
    # unless an inline call is at the pc: then it is the call's line,
    # which gdb knows when it made the inline frame and approximates
    # (pc - 1) when it did not.
    def _exact_sal(self):
        frame = self.inferior_frame()
        if not _interrupted(frame) or len(_functions_at(frame.pc())) > 1:
            return None
        sal = gdb.find_pc_line(frame.pc())
        return sal if sal.symtab is not None and sal.line else None

    def filename(self):
        sal = self._exact_sal()
        return sal.symtab.filename if sal else super().filename()

    def line(self):
        sal = self._exact_sal()
        return sal.line if sal else super().line()


def _interrupted(frame):
    """Whether FRAME is a kernel context an interrupt or exception
    interrupted (the caller of a pt_regs frame): its pc is the
    interrupted instruction's, where gdb looks up every frame but the
    newest at pc - 1 (a return address; a Python unwinder cannot mark
    its frames as signal frames, which gdb looks up at the pc)."""
    if frame.level() == 0 or frame.type() != gdb.NORMAL_FRAME:
        return False
    arch = frame.architecture().name()
    if arch not in ("i386", "i386:x86-64"):
        return False
    try:
        sp = int(frame.read_register("esp" if arch == "i386" else "rsp"))
    except gdb.error:
        return False
    # False: interrupted in the kernel; True: in user mode; absent: not
    # interrupted.
    return _UNWINDER.exact.get((sp & _MASK, frame.pc())) is False


def _exact_name(frame):
    """The symbol at an interrupted kernel frame's pc when the pc is its
    first byte (where gdb's pc - 1 lookup names the wrong function), else
    None."""
    if not _interrupted(frame):
        return None
    pc = frame.pc()
    try:
        text = gdb.format_address(pc)
    except (AttributeError, gdb.error):
        return None
    mo = re.match(r"0x[0-9a-f]+ <([^+>]+)>$", text)
    return mo.group(1) if mo else None


def _on_exit(_event):
    _UNWINDER.active.clear()
    _UNWINDER.exact.clear()
    _UNWINDER.ends.clear()
    _UNWINDER.bias.clear()


_UNWINDER = OrcUnwinder()
gdb.unwinder.register_unwinder(None, _UNWINDER, replace=True)
gdb.frame_filters["gdbserver-vmcore ORC"] = _ZeroFrameFilter(_UNWINDER)
gdb.events.exited.connect(_on_exit)
gdb.events.new_objfile.connect(_UNWINDER.objfiles_changed)
gdb.events.clear_objfiles.connect(_UNWINDER.objfiles_changed)


def _source_sibling(name):
    """Runs NAME, a file next to this one, with this file's globals: the
    aarch64 unwinder (vmcore-arm64.py) shares the state above."""
    here = os.path.dirname(os.path.abspath(
        sys._getframe(1).f_code.co_filename))
    path = os.path.join(here, name)
    with open(path) as f:
        code = compile(f.read(), path, "exec")
    exec(code, globals())


_source_sibling("vmcore-arm64.py")
