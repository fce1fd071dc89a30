# The ORC table reader of gdbserver-vmcore/vmcore-orc.py against the
# kernel's own objtool (Debian's linux-kbuild package), which dumps every
# entry of a vmlinux's .orc_unwind_ip/.orc_unwind with its own decoder:
#   objtool --dump=orc VMLINUX >DUMP
#   readelf --debug-dump=frames VMLINUX >FRAMES
#   VMC_VMLINUX=VMLINUX VMC_OBJTOOL_DUMP=DUMP VMC_RELEASE=KVER \
#       VMC_READELF_FRAMES=FRAMES \
#       gdb -nx -batch -iex 'source vmcore-orc.py' -x orc-objtool.py
# Every entry must give the same CFA rule, rbp rule and type, and the
# entries the same set of addresses.  (objtool names an entry's address
# from .rela.orc_unwind_ip, which the linker's --emit-relocs wrote before
# scripts/sorttable sorted the table in place: the i-th address it prints
# is not the i-th entry's, the i-th rule is.)
# Run by tests/gdb/run-real-irq.sh on the fixture kernel (Linux 6.1: the
# layout before 6.3's "signal" bit and 6.4's types).
import os
import re
import struct
import sys

import gdb  # noqa: F401  (vmcore-orc.py, sourced first, needs gdb)

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from checks import check, check_eq, finish  # noqa: E402

main = sys.modules["__main__"]
path = os.environ["VMC_VMLINUX"]
elf = main._Elf(path)
version = main._orc_version(elf, os.environ["VMC_RELEASE"])
ip_base, ip_data = elf.section(".orc_unwind_ip")
_, orc_data = elf.section(".orc_unwind")
sec_addr = {name: sh[3] for name, sh in elf.sections.items()}
elf.close()
n = len(ip_data) // 4

REGS = {"sp": main.REG_SP, "bp": main.REG_BP, "r10": main.REG_R10,
        "r13": main.REG_R13, "dx": main.REG_DX, "di": main.REG_DI,
        "prevsp": main.REG_PREV_SP}
TYPES = {"call": main.T_CALL, "regs": main.T_REGS,
         "regs (partial)": main.T_REGS_PARTIAL}
LINE = re.compile(r"^(\S+)\+([0-9a-f]+): sp:(\S+) bp:(\S+) "
                  r"type:(call|regs \(partial\)|regs) end:([01])$")


def sp_rule(text):
    """(ORC_REG_*, offset) of objtool's sp: field."""
    if text == "(und)":
        return main.REG_UNDEFINED, None
    mo = re.match(r"^\(sp\)([+-]\d+)$", text)       # *sp + offset
    if mo:
        return main.REG_SP_INDIRECT, int(mo.group(1))
    mo = re.match(r"^\(bp([+-]\d+)\)$", text)       # *(bp + offset)
    if mo:
        return main.REG_BP_INDIRECT, int(mo.group(1))
    mo = re.match(r"^(\w+?)([+-]\d+)$", text)
    return REGS[mo.group(1)], int(mo.group(2))


with open(os.environ["VMC_OBJTOOL_DUMP"]) as f:
    lines = [ln.rstrip("\n") for ln in f if ln.strip()]
check_eq("objtool dumps as many entries as vmcore-orc.py reads",
         len(lines), n)
bad = []
ips, want_ips = [], []
for i, line in enumerate(lines[:n]):
    mo = LINE.match(line)
    if not mo:
        bad.append("%d: unparsed objtool line %r" % (i, line))
        continue
    sec, off, sp_t, bp_t, typ_t, end = mo.groups()
    ip = ip_base + 4 * i + struct.unpack_from("<i", ip_data, 4 * i)[0]
    sp_off, bp_off, flags = struct.unpack_from("<hhH", orc_data, 6 * i)
    sp_reg, bp_reg, typ, _signal = main._decode(version, flags)
    want_sp, want_sp_off = sp_rule(sp_t)
    want_bp, want_bp_off = (main.REG_UNDEFINED, None) if bp_t == "(und)" \
        else sp_rule(bp_t)
    if want_sp == main.REG_UNDEFINED:
        want_typ = main.T_END if end == "1" else main.T_UNDEFINED
    else:
        want_typ = TYPES[typ_t]
    ips.append(ip)
    want_ips.append(sec_addr[sec] + int(off, 16))
    got = (sp_reg, typ, bp_reg)
    want = (want_sp, want_typ, want_bp)
    if got != want or (want_sp_off is not None and sp_off != want_sp_off) \
            or (want_bp_off is not None and bp_off != want_bp_off):
        bad.append("%d: %s: got sp_reg %d%+d type %d bp_reg %d%+d"
                   % (i, line, sp_reg, sp_off, typ, bp_reg, bp_off))
check("every entry decodes as objtool decodes it (%d entries, ORC "
      "layout %d)" % (n, version), not bad,
      "%d differ:\n%s" % (len(bad), "\n".join(bad[:10])))
check("the entries' addresses are the ones objtool names",
      sorted(ips) == sorted(want_ips),
      "%d differ" % len(set(ips) ^ set(want_ips)))
# The lookup layer over those entries: OrcTable keeps the section's
# offsets and computes an address at each of bisect's probes; in order,
# they must be objtool's addresses, sorted.  Its FDE ranges (where gdb's
# DWARF unwinder has CFI) must be those binutils' readelf lists, merged.
table = main.OrcTable(path, lambda name, value: 0, os.environ["VMC_RELEASE"])
check("OrcTable's entry addresses are objtool's, sorted",
      list(table.ips) == sorted(want_ips), "")
fdes = []
with open(os.environ["VMC_READELF_FRAMES"]) as f:
    for ln in f:
        mo = re.search(r" FDE cie=[0-9a-f]+ pc=([0-9a-f]+)\.\.([0-9a-f]+)$",
                       ln.rstrip("\n"))
        if mo and int(mo.group(1), 16) < int(mo.group(2), 16):
            fdes.append((int(mo.group(1), 16), int(mo.group(2), 16)))
merged = []
for start, end in sorted(fdes):
    if merged and start <= merged[-1][1]:
        merged[-1][1] = max(merged[-1][1], end)
    else:
        merged.append([start, end])
check("readelf lists FDEs", len(fdes) > 10000, "%d" % len(fdes))
check("OrcTable's FDE ranges are readelf's %d FDEs merged (%d ranges)"
      % (len(fdes), len(merged)),
      [list(r) for r in zip(table.fde_starts, table.fde_ends)] == merged,
      "%d ranges, readelf %d" % (len(table.fde_starts), len(merged)))

# The kinds the unwinder depends on are all there, so the comparison
# covered them.
kinds = " ".join(lines)
for what in ("(sp)+", "type:regs (partial)", "type:regs end", "end:1",
             "sp:r10+", "bp:prevsp"):
    check("objtool's dump has %s entries" % what, what in kinds, "")
finish()
