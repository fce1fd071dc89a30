#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Check a mkvmcore dump against its --expect file, independently of the
generator: parse the ELF headers and notes, walk the x86_64 page tables
from VMCOREINFO's swapper_pg_dir and compare with the map/unmapped/cpu/
segment/nodump lines.  Python 3 stdlib only.

usage: walk-vmcore.py DUMP EXPECT [--headers-only]
"""
import random
import struct
import sys

PTE_P = 1 << 0
PTE_PS = 1 << 7
PTE_ADDR = 0x000FFFFFFFFFF000
START_KERNEL_MAP = 0xFFFFFFFF80000000


class Fail(Exception):
    pass


def check(cond, msg):
    if not cond:
        raise Fail(msg)


def num(s):
    return int(s, 0)


class Expect:
    def __init__(self, path):
        self.lines = []
        self.kv = {}
        with open(path) as f:
            for raw in f:
                line = raw.split("#", 1)[0].split()
                if not line:
                    continue
                self.lines.append(line)
                self.kv.setdefault(line[0], line[1:])

    def all(self, key):
        return [line[1:] for line in self.lines if line[0] == key]

    def one(self, key):
        return self.kv[key][0]


class Dump:
    def __init__(self, path):
        self.f = open(path, "rb")
        self.f.seek(0, 2)
        self.size = self.f.tell()
        ident = self.read_file(0, 16)
        check(ident[:4] == b"\x7fELF", "not ELF")
        self.cls = {1: 32, 2: 64}[ident[4]]
        check(ident[5] == 1, "not little-endian")
        self.parse_phdrs()
        self.parse_notes()

    def read_file(self, off, n):
        self.f.seek(off)
        return self.f.read(n)

    def parse_phdrs(self):
        if self.cls == 64:
            eh = struct.unpack("<16sHHIQQQIHHHHHH", self.read_file(0, 64))
            e_type, e_machine, phoff, phentsize, phnum = (
                eh[1], eh[2], eh[5], eh[9], eh[10])
            fmt, fields = "<IIQQQQQQ", ("type", "flags", "offset", "vaddr",
                                        "paddr", "filesz", "memsz", "align")
        else:
            eh = struct.unpack("<16sHHIIIIIHHHHHH", self.read_file(0, 52))
            e_type, e_machine, phoff, phentsize, phnum = (
                eh[1], eh[2], eh[5], eh[9], eh[10])
            fmt, fields = "<IIIIIIII", ("type", "offset", "vaddr", "paddr",
                                        "filesz", "memsz", "flags", "align")
        check(e_type == 4, "e_type is not ET_CORE")
        check(e_machine == 62, "e_machine is not EM_X86_64")
        check(phentsize == struct.calcsize(fmt), "bad e_phentsize")
        self.phdrs = []
        for i in range(phnum):
            raw = self.read_file(phoff + i * phentsize, phentsize)
            self.phdrs.append(dict(zip(fields, struct.unpack(fmt, raw))))
        self.loads = [p for p in self.phdrs if p["type"] == 1]
        check(self.phdrs[0]["type"] == 4, "first program header not PT_NOTE")

    def parse_notes(self):
        note = self.phdrs[0]
        data = self.read_file(note["offset"], note["filesz"])
        self.prstatus = []
        self.vmcoreinfo = {}
        off = 0
        while off + 12 <= len(data):
            namesz, descsz, ntype = struct.unpack_from("<III", data, off)
            off += 12
            name = data[off:off + namesz].rstrip(b"\0").decode()
            off += (namesz + 3) & ~3
            desc = data[off:off + descsz]
            off += (descsz + 3) & ~3
            if name == "CORE" and ntype == 1:
                check(descsz == 336, "prstatus size %d" % descsz)
                self.prstatus.append(desc)
            elif name == "VMCOREINFO":
                for line in desc.decode().splitlines():
                    key, _, val = line.partition("=")
                    self.vmcoreinfo[key] = val

    def read_phys(self, pa, n):
        """Bytes at physical PA from the first PT_LOAD holding them, or
        None when not in the dump (or cut off by truncation)."""
        for p in self.loads:
            if p["paddr"] <= pa and pa + n <= p["paddr"] + p["filesz"]:
                off = p["offset"] + pa - p["paddr"]
                if off + n > self.size:
                    return None
                return self.read_file(off, n)
        return None

    def in_dump(self, pa):
        return any(p["paddr"] <= pa < p["paddr"] + p["memsz"]
                   for p in self.loads)

    def q(self, pa):
        b = self.read_phys(pa, 8)
        return None if b is None else struct.unpack("<Q", b)[0]


class Walker:
    """x86_64 4/5-level walk; returns (paddr, None) or (None, level)."""

    def __init__(self, dump, top, levels):
        self.d, self.top, self.levels = dump, top, levels

    def name(self, level):
        return "pgd" if level == self.levels else \
            {1: "pte", 2: "pmd", 3: "pud", 4: "p4d"}[level]

    def walk(self, va):
        table = self.top
        for level in range(self.levels, 0, -1):
            shift = 12 + 9 * (level - 1)
            e = self.d.q(table + ((va >> shift) & 511) * 8)
            check(e is not None, "table 0x%x not in dump" % table)
            if not e & PTE_P:
                return None, self.name(level)
            if level == 1 or (level <= 3 and e & PTE_PS):
                mask = (1 << shift) - 1
                return (e & PTE_ADDR & ~mask) | (va & mask), None
            table = e & PTE_ADDR
        raise Fail("unreachable")


def nopattern_ranges(exp):
    return [(num(a), num(a) + num(n)) for a, n, _ in exp.all("nopattern")]


def check_headers(d, exp):
    check(d.cls == num(exp.one("class")), "class %d" % d.cls)
    segs = exp.all("segment")
    check(len(segs) == len(d.loads), "%d PT_LOADs, expected %d"
          % (len(d.loads), len(segs)))
    for s, p in zip(segs, d.loads):
        want = tuple(num(x) for x in s)
        got = (p["paddr"], p["vaddr"], p["memsz"], p["filesz"])
        check(want == got, "segment %s != %s" % (want, got))
    check(len(d.prstatus) == num(exp.one("cpus")), "prstatus count")
    for idx, pid, rip, rsp in exp.all("cpu"):
        pr = d.prstatus[num(idx)]
        regs = struct.unpack_from("<27Q", pr, 112)
        check(struct.unpack_from("<i", pr, 32)[0] == num(pid), "pid")
        check(regs[16] == num(rip) and regs[19] == num(rsp), "rip/rsp")
    names = ["r15", "r14", "r13", "r12", "rbp", "rbx", "r11", "r10", "r9",
             "r8", "rax", "rcx", "rdx", "rsi", "rdi", "orig_rax", "rip",
             "cs", "eflags", "rsp", "ss", "fs_base", "gs_base", "ds", "es",
             "fs", "gs"]
    for cpu, name, val in exp.all("reg"):
        regs = struct.unpack_from("<27Q", d.prstatus[num(cpu)], 112)
        check(regs[names.index(name)] == num(val), "reg %s %s" % (cpu, name))
    for (pa,) in exp.all("nodump"):
        check(not d.in_dump(num(pa)), "nodump 0x%x is in the dump" % num(pa))
    vi = d.vmcoreinfo
    if exp.one("vmcoreinfo") == "no":
        check(not vi, "unexpected VMCOREINFO")
        return
    check(vi.get("OSRELEASE") == exp.one("release"), "OSRELEASE")
    check(vi.get("PAGESIZE") == "4096", "PAGESIZE")
    check(int(vi["NUMBER(phys_base)"]) == num(exp.one("phys_base")),
          "phys_base")
    check(int(vi["NUMBER(pgtable_l5_enabled)"]) ==
          (num(exp.one("levels")) == 5), "pgtable_l5_enabled")
    kaslr = num(exp.one("kaslr"))
    check(vi.get("KERNELOFFSET") == ("%x" % kaslr if kaslr else None),
          "KERNELOFFSET")
    check(int(vi["SYMBOL(_stext)"], 16) == num(exp.one("stext")), "_stext")
    has_swapper = "SYMBOL(swapper_pg_dir)" in vi
    check(has_swapper == (exp.one("swapper_symbol") == "yes"),
          "SYMBOL(swapper_pg_dir) presence")


def make_translator(d, exp):
    """Page walk when VMCOREINFO names swapper_pg_dir, else the PT_LOAD
    p_vaddr fallback (returns None for addresses no segment covers)."""
    vi = d.vmcoreinfo
    if "SYMBOL(swapper_pg_dir)" in vi:
        phys_base = int(vi["NUMBER(phys_base)"])
        levels = 5 if vi["NUMBER(pgtable_l5_enabled)"] == "1" else 4
        top = (int(vi["SYMBOL(swapper_pg_dir)"], 16) - START_KERNEL_MAP +
               phys_base) & (2**64 - 1)
        w = Walker(d, top, levels)
        return w.walk, w
    def by_segment(va):
        if d.cls == 32:
            return None, "elf32"    # p_vaddr keeps only the low 32 bits
        for p in d.loads:
            if p["vaddr"] and p["vaddr"] <= va < p["vaddr"] + p["memsz"]:
                return p["paddr"] + va - p["vaddr"], None
        return None, "segment"
    return by_segment, None


def check_phys(d, exp):
    """The first and last qword of each segment's first page, physically."""
    pattern = num(exp.one("pattern"))
    skip = nopattern_ranges(exp)
    checked = 0
    for p in d.loads:
        for pa in (p["paddr"], p["paddr"] + 4096 - 8):
            if any(a <= pa < b for a, b in skip):
                continue
            val = d.q(pa)
            check(val == pattern | pa, "phys qword at 0x%x is %s"
                  % (pa, val if val is None else hex(val)))
            checked += 1
    return checked


def check_memory(d, exp):
    translate, walker = make_translator(d, exp)
    pattern = num(exp.one("pattern"))
    skip = nopattern_ranges(exp)
    rng = random.Random(1)
    checked = check_phys(d, exp)
    for va, pa, size in exp.all("map"):
        va, pa, size = num(va), num(pa), num(size)
        offs = {0, size - 8, (size // 2) & ~7}
        offs |= {rng.randrange(0, size, 8) for _ in range(8)}
        for off in sorted(offs):
            got, lvl = translate(va + off)
            if got is None and walker is None:
                continue        # not covered by a p_vaddr
            check(got == pa + off, "0x%x -> %s, expected 0x%x (%s)"
                  % (va + off, got if got is None else hex(got),
                     pa + off, lvl))
            val = d.q(got)
            if val is None or any(a <= got < b for a, b in skip):
                continue
            check(val == pattern | got, "qword at 0x%x is 0x%x"
                  % (got, val))
            checked += 1
    check(checked > 2 * len(d.loads) or walker is None,
          "no map line could be checked")
    if walker:
        for idx, _, rip, rsp in exp.all("cpu"):
            for va in (num(rip), num(rsp)):
                check(translate(va)[0] is not None,
                      "cpu %s: 0x%x is not mapped" % (idx, va))
        for va, level in exp.all("unmapped"):
            got, lvl = translate(num(va))
            check(got is None and lvl == level, "unmapped %s: got %s/%s"
                  % (va, got, lvl))
        check_uts(d, exp, translate)
        check_overlap(d)
    for pa, size in exp.all("zero"):
        pa, size = num(pa), num(size)
        for off in (0, size - 8, (size // 2) & ~7):
            check(d.q(pa + off) == 0, "zero 0x%x" % (pa + off))
    return checked


def check_uts(d, exp, translate):
    sym = int(d.vmcoreinfo["SYMBOL(init_uts_ns)"], 16)
    off = int(d.vmcoreinfo["OFFSET(uts_namespace.name)"])
    pa, _ = translate(sym + off)
    sysname = d.read_phys(pa, 65).split(b"\0")[0].decode()
    pa, _ = translate(sym + off + 2 * 65)
    release = d.read_phys(pa, 65).split(b"\0")[0].decode()
    check(sysname == "Linux", "sysname %r" % sysname)
    check(release == exp.one("release"), "release %r" % release)


def check_overlap(d):
    """Overlapping PT_LOADs must agree byte for byte."""
    for i, a in enumerate(d.loads):
        for b in d.loads[i + 1:]:
            lo = max(a["paddr"], b["paddr"])
            hi = min(a["paddr"] + a["filesz"], b["paddr"] + b["filesz"])
            if lo >= hi:
                continue
            ba = d.read_file(a["offset"] + lo - a["paddr"], hi - lo)
            bb = d.read_file(b["offset"] + lo - b["paddr"], hi - lo)
            check(ba == bb, "overlapping segments differ in [0x%x, 0x%x)"
                  % (lo, hi))


def main():
    args = [a for a in sys.argv[1:] if not a.startswith("--")]
    headers_only = "--headers-only" in sys.argv
    if len(args) != 2:
        print(__doc__, file=sys.stderr)
        return 2
    try:
        d = Dump(args[0])
        exp = Expect(args[1])
        check_headers(d, exp)
        n = 0 if headers_only else check_memory(d, exp)
    except (Fail, KeyError, ValueError, struct.error) as e:
        print("walk-vmcore: %s: FAIL: %s: %s" % (args[0], type(e).__name__,
                                                 e), file=sys.stderr)
        return 1
    print("walk-vmcore: %s: ok (%d PT_LOADs, %d qwords checked)"
          % (args[0], len(d.loads), n))
    return 0


if __name__ == "__main__":
    sys.exit(main())
