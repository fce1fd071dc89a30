# Checks on a synthetic dump (tests/gen/mkvmcore) through real gdb, with no
# vmlinux: every expected fact comes from the generator's --expect file.
#   VMC_EXPECT=FILE gdb -batch -nx -ex 'target remote | gdbserver-vmcore X' \
#       -x synthetic.py
import os
import struct
import sys

import gdb

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from checks import check, check_eq, check_in, check_match, finish, run  # noqa


def load_expect(path):
    facts, lists = {}, {}
    with open(path) as f:
        for line in f:
            line = line.split("#", 1)[0].split()
            if not line:
                continue
            key, vals = line[0], line[1:]
            lists.setdefault(key, []).append(vals)
            facts[key] = vals
    return facts, lists


def num(s):
    return int(s, 0)


facts, lists = load_expect(os.environ["VMC_EXPECT"])
truncated = "truncate" in facts and facts["truncate"][0] not in ("0", "no")
file_size = os.path.getsize(os.environ["VMC_DUMP"])
inf = gdb.selected_inferior()
pattern = num(facts["pattern"][0])
nopattern = [(num(a), num(b)) for a, b, *_ in lists.get("nopattern", [])]


def read_phdrs(path):
    """PT_LOADs as (paddr, vaddr, memsz, filesz, offset), read directly."""
    with open(path, "rb") as f:
        ident = f.read(16)
        is64 = ident[4] == 2
        f.seek(0)
        hdr = f.read(64 if is64 else 52)
        if is64:
            phoff, = struct.unpack_from("<Q", hdr, 32)
            phentsize, phnum = struct.unpack_from("<HH", hdr, 54)
        else:
            phoff, = struct.unpack_from("<I", hdr, 28)
            phentsize, phnum = struct.unpack_from("<HH", hdr, 42)
        out = []
        for i in range(phnum):
            f.seek(phoff + i * phentsize)
            ph = f.read(phentsize)
            if is64:
                t, _, off, va, pa, fsz, msz = struct.unpack_from("<IIQQQQQ", ph)
            else:
                t, off, va, pa, fsz, msz = struct.unpack_from("<IIIIII", ph)
            if t == 1:
                out.append((pa, va, msz, fsz, off))
        return out


segments = read_phdrs(os.environ["VMC_DUMP"])


def qword(addr):
    return int.from_bytes(bytes(inf.read_memory(addr, 8)), "little")


def in_file(paddr):
    """Is physical PADDR backed by bytes inside the (maybe cut) file?"""
    # Any segment holding the bytes will do (they may overlap).
    return any(pa <= paddr < pa + memsz and
               off + (paddr - pa) + 8 <= min(file_size, off + filesz)
               for pa, va, memsz, filesz, off in segments)


have_pgt = facts.get("swapper_symbol", ["yes"])[0] == "yes"


def in_vrange(vaddr):
    """Without page tables only the PT_LOAD virtual ranges translate."""
    return any(s[1] <= vaddr < s[1] + s[2] for s in segments)


def expect_pattern(paddr):
    return not any(a <= paddr < a + n for a, n in nopattern)


# --- threads and registers ---------------------------------------------------
ncpus = num(facts["cpus"][0])
panic = num(facts["panic_cpu"][0])
check_eq("threads = CPUs", len(inf.threads()), ncpus)
check_eq("panic CPU's thread is current", gdb.selected_thread().num, panic + 1)
check_match("panic thread marked in info threads",
            r"\* %d +Thread %d \"CPU %d\" \(CPU %d, pid %s, panic\)" % (
                panic + 1, panic + 1, panic, panic,
                lists["cpu"][panic][1]), run("info threads"))

width32 = {"eflags", "cs", "ss", "ds", "es", "fs", "gs"}
for cpu, name, val in lists.get("reg", []):
    if int(cpu) > 3:
        continue
    run("thread %d" % (int(cpu) + 1))
    want = num(val) & (0xffffffff if name in width32 else (1 << 64) - 1)
    got = int(gdb.parse_and_eval("$%s" % name)) & ((1 << 64) - 1)
    if name in width32:
        got &= 0xffffffff
    check_eq("cpu %s register %s" % (cpu, name), hex(got), hex(want))
run("thread %d" % (panic + 1))
check_in("x87 registers are unavailable", "<unavailable>",
         run("info registers st0"))

# --- memory through the page tables ---------------------------------------
for va, pa, size in lists.get("map", []):
    va, pa, size = num(va), num(pa), num(size)
    for off in (0, size // 2 & ~7, size - 8):
        p = pa + off
        if not expect_pattern(p):
            continue
        name = "read 0x%x -> phys 0x%x" % (va + off, p)
        readable = in_file(p) and (have_pgt or in_vrange(va + off))
        try:
            got = qword(va + off)
            if readable:
                check_eq(name, hex(got), hex(pattern | p))
            else:
                check(name, False, "read bytes past the end of the file")
        except gdb.MemoryError as e:
            check(name, not readable, "unexpected error: %s" % e)

for va, level in lists.get("unmapped", []):
    try:
        qword(num(va))
        check("unmapped %s fails" % va, False, "read succeeded")
    except gdb.MemoryError:
        check("unmapped %s fails" % va, True)
    if have_pgt and num(va) < 1 << 63:
        # The lower half is user memory (x86_64): a CPU thread of a
        # server without a vmlinux has none, whatever the kernel's
        # tables hold there.
        check_match("monitor vtop %s: a user address, none in the CPU "
                    "view without a vmlinux" % va,
                    r"\(user, thread .*\)\n  no user memory in the CPU view",
                    run("monitor vtop %s" % va))
    elif have_pgt:
        check_match("monitor vtop %s names the %s level" % (va, level),
                    r"%s entry .* is not present|not a canonical" % level,
                    run("monitor vtop %s" % va))

# Physical addresses outside the dump, seen through the direct map.
page_offset = num(facts["page_offset"][0])
for (pa,) in lists.get("nodump", []):
    try:
        qword(page_offset + num(pa))
        check("phys %s (not in dump) fails" % pa, False, "read succeeded")
    except gdb.MemoryError:
        check("phys %s (not in dump) fails" % pa, True)

# Right up to a hole, and into it: gdb reports the first unreadable byte.
def phys_of(vaddr):
    for va, pa, size in lists.get("map", []):
        if num(va) <= vaddr < num(va) + num(size):
            return num(pa) + vaddr - num(va)
    return None


hole = num(lists["unmapped"][0][0])
before = phys_of(hole - 8)
if have_pgt and before is not None and in_file(before):
    check_match("last qword before a hole",
                r"0x%x:\s+0x[0-9a-f]+" % (hole - 8),
                run("x/gx 0x%x" % (hole - 8)))
    check_in("read across into a hole fails at the hole",
             "Cannot access memory at address 0x%x" % hole,
             run("x/2gx 0x%x" % (hole - 8)))

# --- monitor -------------------------------------------------------------------
info = run("monitor info")
check_in("monitor info: release", facts["release"][0], info)
check_in("monitor info: CPUs", "cpus         %d" % ncpus, info)
if num(facts["kaslr"][0]):
    check_in("monitor info: KASLR", "offset %s" % facts["kaslr"][0], info)
else:
    check_in("monitor info: no KASLR", "no KERNELOFFSET in VMCOREINFO", info)
check_in("monitor info: levels", "x86_64 %s-level" % facts["levels"][0]
         if facts.get("swapper_symbol", ["yes"])[0] == "yes"
         else "PT_LOAD virtual addresses only", info)
if truncated:
    check_in("monitor info: truncation reported", "truncated", info)
check_in("unknown monitor command", "monitor help",
         run("monitor frobnicate"))

# --- a dump cannot run; writes are refused -----------------------------
pc = int(gdb.parse_and_eval("$pc"))
out = run("stepi")
check_in("stepi: stays stopped", "stopped", out)
check_eq("stepi: pc unchanged", int(gdb.parse_and_eval("$pc")), pc)
check_in("continue: stays stopped", "cannot run or step", run("continue"))
check_in("memory write refused", "Cannot access memory",
         run("set *(long *)$sp = 1"))
check_in("register write refused", "rror", run("set $rax = 1"))

finish()
