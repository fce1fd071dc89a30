# Modules with no command, on a real kdump, run by tests/gdb/run-real-tasks.sh:
# the server finds virtio_blk's file (VMC_MOD_FILE, found VMC_MOD_ORIGIN:
# the vmlinux's debug tree, a search directory, the installed modules;
# .ko, .ko.xz or .ko.zst) by its build-id and name, refuses
# VMC_MOD_REFUSED (another build-id) if set, and gdb loads it as a shared
# library as it connects.  Checked against what the guest recorded
# (/sys/module: virtio_blk's base and __this_module) and, on x86_64, the
# unwinder's reading of the module's ORC tables in the dump against the
# kernel's objtool on the same .ko (VMC_OBJTOOL_DUMP).
import os
import re
import struct
import sys

import gdb

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from checks import check, check_eq, check_in, check_match, finish, meta, run  # noqa

m = meta()
want_file = os.environ["VMC_MOD_FILE"]
origin = os.environ["VMC_MOD_ORIGIN"]
refused = os.environ.get("VMC_MOD_REFUSED", "")
base = m["VIRTIO_BLK_MODULE_ADDR"]

out = run("monitor modules")
check_match("monitor help lists modules", r"^  modules ", run("monitor help"))
mods = re.findall(r"^(\w+) +(0x[0-9a-f]+) +(\d+) sections$", out, re.M)
check_eq("monitor modules lists the guest's modules", len(mods),
         int(m["NR_MODULES"]))
check_match("monitor modules counts them and what gdb gets",
            r"^%d modules, 1 with a file gdb loads as a shared library" %
            len(mods), out)
check_eq("virtio_blk's base is where the guest had it",
         [b for n, b, _ in mods if n == "virtio_blk"], [base])
blk = re.search(r"^virtio_blk .*\n((?:  .*\n)+)", out, re.M)
blk = blk.group(1) if blk else ""
check_match("virtio_blk: its build-id from the dump",
            r"^  build-id [0-9a-f]{40}$", blk)
check_match("virtio_blk: gdb gets %s, found %s" % (want_file, origin),
            r"(?m)^  gdb gets %s \(%s, build-id matches\)" %
            (re.escape(want_file), re.escape(origin)), blk)
if refused:
    check_match("virtio_blk: %s refused for its build-id" % refused,
                r"; refused %s: its build-id is [0-9a-f]{40}, not the "
                r"module's" % re.escape(refused), blk)
others = [n for n, _, _ in mods if n != "virtio_blk"]
check("every other module says why gdb gets no file",
      all(re.search(r"^%s .*\n  build-id \S+\n  not served to gdb: no file"
                    % n, out, re.M) for n in others), out)

# No command: the module is a shared library from the connection on.
libs = run("info sharedlibrary")
check_match("info sharedlibrary: virtio_blk's file, symbols read, from "
            "its base", r"(?m)^%s +0x[0-9a-f]+ +Yes +target:%s$" %
            (base, re.escape(want_file)), libs)
check_match("info symbol: the base is virtio_blk text",
            r" in section \.text of target:%s$" % re.escape(want_file),
            run("info symbol %s" % base))
this_module = "0x%x" % int(gdb.parse_and_eval(
    "(unsigned long)&__this_module"))


def module_on_list(name):
    """The struct module called NAME on the kernel's `modules` list, as
    gdb walks it with the vmlinux's DWARF."""
    mod_t = gdb.lookup_type("struct module")
    off = [f.bitpos // 8 for f in mod_t.fields() if f.name == "list"][0]
    head = gdb.parse_and_eval("&modules")
    node = head["next"]
    for _ in range(8192):
        if int(node) == int(head):
            break
        mod = gdb.Value(int(node) - off).cast(mod_t.pointer())
        if mod["name"].string() == name:
            return "0x%x" % int(mod)
        node = node["next"]
    return None


check_eq("__this_module is virtio_blk's struct module on the kernel's "
         "list", this_module, module_on_list("virtio_blk"))
if m.get("VIRTIO_BLK_THIS_MODULE"):    # recorded by the x86_64 guests
    check_eq("... and where the guest's /sys/module had it", this_module,
             m["VIRTIO_BLK_THIS_MODULE"])
check("the module's types come with it",
      int(gdb.parse_and_eval("sizeof(struct virtio_blk)")) > 0, "")
check_match("a module function disassembles by name",
            r"<virtblk_probe\+\d+>",
            run("x/2i (unsigned long)&virtblk_probe"))
check_in("the panic backtrace still reads", "sysrq_handle_crash",
         run("bt"))
# The shipped helper (vmcore-gdb.py) leaves the library alone.
gdb.execute("source " + os.path.join(os.path.dirname(os.path.abspath(
    __file__)), "..", "..", "gdbserver-vmcore", "vmcore-gdb.py"))
check_in("vmcore-modules refuses a module the dump does not have",
         "no module no_such_mod in the dump", run("vmcore-modules no_such_mod"))
check_match("vmcore-modules virtio_blk: already a shared library",
            r"^loaded 0 module\(s\); already shared libraries: virtio_blk$",
            run("vmcore-modules virtio_blk"))


# ---- x86_64: the module's ORC tables, as the unwinder reads them ----------
def sp_rule(main, text):
    """(ORC_REG_*, offset) of objtool's sp: field (as orc-objtool.py)."""
    regs = {"sp": main.REG_SP, "bp": main.REG_BP, "r10": main.REG_R10,
            "r13": main.REG_R13, "dx": main.REG_DX, "di": main.REG_DI,
            "prevsp": main.REG_PREV_SP}
    if text == "(und)":
        return main.REG_UNDEFINED, None
    mo = re.match(r"^\(sp\)([+-]\d+)$", text)
    if mo:
        return main.REG_SP_INDIRECT, int(mo.group(1))
    mo = re.match(r"^\(bp([+-]\d+)\)$", text)
    if mo:
        return main.REG_BP_INDIRECT, int(mo.group(1))
    mo = re.match(r"^(\w+?)([+-]\d+)$", text)
    return regs[mo.group(1)], int(mo.group(2))


def check_orc(dump):
    main = sys.modules["__main__"]
    add = re.search(r"^  add-symbol-file \S+ (.*)$", blk, re.M)
    secs = dict(re.findall(r"-s (\S+) (0x[0-9a-f]+)", add.group(1))) \
        if add else {}
    want = []
    line = re.compile(r"^(\S+)\+([0-9a-f]+): sp:(\S+) bp:(\S+) type:"
                      r"(call|regs \(partial\)|regs) end:([01])$")
    types = {"call": main.T_CALL, "regs": main.T_REGS,
             "regs (partial)": main.T_REGS_PARTIAL}
    with open(dump) as f:
        for ln in f:
            mo = line.match(ln.strip())
            if not mo or mo.group(1) not in secs:
                continue
            sec, off, sp_t, bp_t, typ_t, _end = mo.groups()
            sp_reg, sp_off = sp_rule(main, sp_t)
            bp_reg, bp_off = sp_rule(main, bp_t)
            typ = types[typ_t] if sp_reg != main.REG_UNDEFINED else \
                main.T_END if _end == "1" else main.T_UNDEFINED
            want.append((int(secs[sec], 16) + int(off, 16), sp_reg, sp_off,
                         typ, bp_reg, bp_off))
    table = main._UNWINDER._table()
    orcs = main.ModuleOrcs()
    mine = [t for t in orcs.mods if t[0] == int(base, 16)]
    if not check("the unwinder finds virtio_blk's ORC tables in the dump",
                 len(mine) == 1 and table is not None, orcs.starts):
        return
    _, end, ips, orc = mine[0]
    got = []
    for i, ip in enumerate(ips):
        sp_off, bp_off, flags = struct.unpack_from("<hhH", orc, 6 * i)
        sp_reg, bp_reg, typ, _ = main._decode(table.version, flags)
        got.append((ip, sp_reg, None if sp_reg == main.REG_UNDEFINED
                    else sp_off, typ, bp_reg,
                    None if bp_reg == main.REG_UNDEFINED else bp_off))
    check_eq("its %d entries in the dump are objtool's on the .ko, at the "
             "addresses the kernel gave the sections" % len(want),
             sorted(got), sorted(want))
    check("the text has entries to look up",
          any(int(base, 16) <= g[0] < end for g in got), end)
    # Where a section's terminator (UNDEFINED) shares its address with
    # the next section's first entry, the kernel sorts the terminator
    # first so that lookups find the real entry (orc_sort_cmp()).
    ips_seen = [g[0] for g in got]
    got = [g for g in got if not (g[1] == main.REG_UNDEFINED and
                                  ips_seen.count(g[0]) > 1)]
    wrong = [g for g in got if int(base, 16) <= g[0] < end and
             (main.ModuleOrcs.find(orcs, g[0], table.version) or (None,))[0]
             != g[1]]
    check("a pc in the module's text finds its own entry", not wrong,
          wrong[:5])


class FakePending:
    """A pending frame at PC with the panic thread's rsp and rbp, for the
    unwinder's entry point: a frame in module code without a stack that
    holds one (no fixture has a module frame on a stack)."""

    def __init__(self, pc):
        self.regs = {n: gdb.parse_and_eval("$" + n) for n in
                     ("rip", "rsp", "rbp", "rax", "rbx")}
        self.regs["rip"] = gdb.Value(pc).cast(self.regs["rip"].type)
        self.saved = {}

    def architecture(self):
        return gdb.selected_frame().architecture()

    def level(self):
        return 0

    def read_register(self, name):
        if name not in self.regs:
            raise gdb.error("not saved")
        return self.regs[name]

    def create_unwind_info(self, frame_id):
        pending = self

        class Info:
            def add_saved_register(self, name, value):
                pending.saved[name] = int(value) & ((1 << 64) - 1)
        return Info()


def check_module_frame():
    main = sys.modules["__main__"]
    table = main._UNWINDER._table()
    orcs = main.ModuleOrcs()
    mine = [t for t in orcs.mods if t[0] == int(base, 16)]
    if not mine or table is None:
        check("a module frame to unwind", False, orcs.starts)
        return
    start, end, ips, orc = mine[0]
    pick = None
    for i, ip in enumerate(ips):        # a CALL entry after a push
        sp_off, _, flags = struct.unpack_from("<hhH", orc, 6 * i)
        sp_reg, _, typ, _ = main._decode(table.version, flags)
        if start <= ip < end and typ == main.T_CALL and \
                sp_reg == main.REG_SP and sp_off > 8 and \
                (i + 1 == len(ips) or ips[i + 1] > ip):
            pick = (ip, sp_off)
            break
    if not check("virtio_blk has a CALL entry with a pushed frame", pick,
                 ""):
        return
    pf = FakePending(pick[0])
    sp = int(pf.regs["rsp"]) & ((1 << 64) - 1)
    info = main._UNWINDER(pf)
    want_rip = struct.unpack("<Q", bytes(gdb.selected_inferior().read_memory(
        sp + pick[1] - 8, 8)))[0]
    check("the unwinder takes a frame at %s in virtio_blk by its ORC entry "
          "(CFA sp+%d)" % (hex(pick[0]), pick[1]),
          info is not None and pf.saved.get("rsp") == sp + pick[1] and
          pf.saved.get("rip") == want_rip, pf.saved)


if os.environ.get("VMC_OBJTOOL_DUMP"):
    check_orc(os.environ["VMC_OBJTOOL_DUMP"])
    check_module_frame()
finish()
