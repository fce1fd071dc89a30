# The aarch64 side of gdbserver-vmcore's gdb unwinder (vmcore-orc.py
# sources this file and shares its state: which connections are
# gdbserver-vmcore's, frames a pt_regs gave, ends of stacks, frame-id
# biases, and the frame filter that hides the pc-0 frame after an end).
#
# arm64 kernels keep frame records (x29 -> {caller's x29, return address})
# and the vmlinux's .debug_frame describes every C function, so gdb's
# DWARF unwinder does most frames.  What it cannot do:
#
# - The entry code (el1h_64_sync, el1h_64_irq, el0t_64_sync..., in
#   .entry.text, no CFI) saved the interrupted context in a struct pt_regs
#   at its sp, with x29 = &pt_regs->stackframe.  gdb's prologue analyzer
#   follows the frame record and loses every register but x29/x30; for an
#   exception from EL0 the record is the final one, {0, 0}, and gdb stops
#   with "Cannot access memory".  Here the caller's registers are all of
#   pt_regs; from EL0 that caller is one frame at the user pc, the last.
# - The interrupted frame's pc is exact, not a return address: gdb would
#   look its CFI up at pc - 1 (wrong right after a prologue store, or at a
#   function's first instruction).  It is unwound here with the CFI at pc.
# - call_on_irq_stack (entry.S, no CFI) switches to the IRQ stack; when
#   that stack lies above the task stack, gdb stops at the switch
#   ("previous frame inner to this frame").  Taken here from its frame
#   record, and from there on every frame is this unwinder's, with frame
#   ids biased to keep growing (as vmcore-orc.py does on x86_64).
# - .init.text was freed after boot: the dump has no code there, and gdb's
#   aarch64 "stub" unwinder takes such frames (start_kernel and
#   arch_call_rest_init under the boot CPU's idle task) and repeats them.
#   The CFI, read from the vmlinux file, needs no code.
# - The ends: ret_from_fork (kernel threads and new tasks),
#   __primary_switched and __secondary_switched (idle tasks), whose
#   final frame record is {0, 0}: the backtrace ends there, cleanly.
# It runs in vmcore-orc.py's namespace: _Elf, OrcError, OrcUnwinder,
# _FrameId and _UNWINDER are that file's (pyflakes cannot know).
import bisect
import struct

import gdb
from gdb.unwinder import Unwinder

_A64_MASK = (1 << 64) - 1
# Where stacks end (arch/arm64/kernel/entry.S, head.S).
_A64_BOTTOMS = ("ret_from_fork", "__primary_switched",
                "__secondary_switched")
_A64_SYMS = _A64_BOTTOMS + ("call_on_irq_stack", "__entry_text_start",
                            "__entry_text_end", "_sinittext", "_einittext",
                            "_stext", "irq_shadow_call_stack_ptr")
# struct user_pt_regs: regs[31], sp, pc, pstate; PSR_MODE_MASK bits 0-3,
# EL0t = 0, PSR_MODE32_BIT 0x10 (an AArch32 task, EL0).
_A64_EL_MASK = 0xc


class _A64Cfi:
    """The vmlinux's .debug_frame: FDEs by address, and the CFA rule and
    saved registers at an address (DWARF 4 section 6.4; the operations
    GCC writes for arm64 kernels)."""

    def __init__(self, data):
        self.data = data
        self.cies = {}
        starts, fdes = [], []
        off, size = 0, len(data)
        while off + 8 <= size:
            length, cie_id = struct.unpack_from("<II", data, off)
            if length == 0:
                off += 4
                continue
            if length == 0xffffffff:
                raise ValueError(".debug_frame uses 64-bit DWARF")
            end = off + 4 + length
            if cie_id != 0xffffffff and off + 24 <= size:
                start, rng = struct.unpack_from("<QQ", data, off + 8)
                if rng:
                    starts.append(start)
                    fdes.append((start, start + rng, cie_id, off + 24, end))
            off = end
        order = sorted(range(len(starts)), key=starts.__getitem__)
        self.starts = [starts[i] for i in order]
        self.fdes = [fdes[i] for i in order]

    def _cie(self, off):
        cie = self.cies.get(off)
        if cie is None:
            data = self.data
            length, = struct.unpack_from("<I", data, off)
            end = off + 4 + length
            version = data[off + 8]
            aug_end = data.index(b"\0", off + 9)
            if data[off + 9:aug_end]:
                raise ValueError("CIE augmentation %r" % data[off + 9:aug_end])
            p = aug_end + 1
            if version >= 4:
                p += 2          # address_size, segment_selector_size
            code_align, p = _uleb(data, p)
            data_align, p = _sleb(data, p)
            if version == 1:
                p += 1
            else:
                _, p = _uleb(data, p)
            cie = self.cies[off] = (code_align, data_align, p, end)
        return cie

    def row(self, addr):
        """(cfa_reg, cfa_off, {reg: offset from the CFA}) at addr, or None
        where no FDE covers it."""
        i = bisect.bisect_right(self.starts, addr) - 1
        if i < 0:
            return None
        start, end, cie_off, p, fde_end = self.fdes[i]
        if not start <= addr < end:
            return None
        code_align, data_align, ip, cie_end = self._cie(cie_off)
        state = [31, 0, {}]
        self._run(ip, cie_end, None, addr, code_align, data_align, state,
                  None)
        initial = dict(state[2])
        self._run(p, fde_end, start, addr, code_align, data_align, state,
                  initial)
        return state[0], state[1], state[2]

    def _run(self, p, end, loc, addr, code_align, data_align, state,
             initial):
        data, stack = self.data, []
        while p < end:
            op = data[p]
            p += 1
            hi, lo = op & 0xc0, op & 0x3f
            delta = None
            if hi == 0x40:
                delta = lo
            elif hi == 0x80:
                n, p = _uleb(data, p)
                state[2][lo] = n * data_align
            elif hi == 0xc0:
                self._restore(state, initial, lo)
            elif op == 0x00 or op == 0x2d:
                pass    # nop; AARCH64_negate_ra_state (PACs are stripped)
            elif op in (0x02, 0x03, 0x04):
                n = {0x02: 1, 0x03: 2, 0x04: 4}[op]
                delta = int.from_bytes(data[p:p + n], "little")
                p += n
            elif op == 0x0c:                    # def_cfa
                state[0], p = _uleb(data, p)
                state[1], p = _uleb(data, p)
            elif op == 0x0d:                    # def_cfa_register
                state[0], p = _uleb(data, p)
            elif op == 0x0e:                    # def_cfa_offset
                state[1], p = _uleb(data, p)
            elif op == 0x12:                    # def_cfa_sf
                state[0], p = _uleb(data, p)
                n, p = _sleb(data, p)
                state[1] = n * data_align
            elif op == 0x13:                    # def_cfa_offset_sf
                n, p = _sleb(data, p)
                state[1] = n * data_align
            elif op in (0x05, 0x11):            # offset_extended(_sf)
                reg, p = _uleb(data, p)
                n, p = (_uleb if op == 0x05 else _sleb)(data, p)
                state[2][reg] = n * data_align
            elif op in (0x06, 0x07, 0x08):      # restore_ext, undef, same
                reg, p = _uleb(data, p)
                if op == 0x06:
                    self._restore(state, initial, reg)
                else:
                    state[2].pop(reg, None)
            elif op == 0x0a:                    # remember_state
                stack.append((state[0], state[1], dict(state[2])))
            elif op == 0x0b:                    # restore_state
                state[0], state[1], regs = stack.pop()
                state[2] = regs
            else:
                raise ValueError("DW_CFA 0x%02x not handled" % op)
            if delta is not None and loc is not None:
                loc += delta * code_align
                if loc > addr:
                    return

    @staticmethod
    def _restore(state, initial, reg):
        if initial is not None and reg in initial:
            state[2][reg] = initial[reg]
        else:
            state[2].pop(reg, None)


def _uleb(data, p):
    result = shift = 0
    while True:
        b = data[p]
        p += 1
        result |= (b & 0x7f) << shift
        shift += 7
        if not b & 0x80:
            return result, p


def _sleb(data, p):
    result, p2 = _uleb(data, p)
    bits = 7 * (p2 - p)
    if result & (1 << (bits - 1)):
        result -= 1 << bits
    return result, p2


class _A64Kernel:
    """One vmlinux's facts: symbol ranges (moved by the KASLR slide), the
    pt_regs layout, the CFI."""

    def __init__(self, path):
        elf = _Elf(path)
        try:
            syms = _a64_symbols(elf, _A64_SYMS)
            if "_stext" not in syms:
                raise OrcError("%s has no _stext symbol" % path)
            _, frame = elf.section(".debug_frame")
        finally:
            elf.close()
        slide = OrcUnwinder._slide("_stext", syms["_stext"][0])
        self.ranges = {}
        for name, (value, size) in syms.items():
            self.ranges[name] = ((value + slide) & _A64_MASK,
                                 (value + slide + size) & _A64_MASK)
        self.slide = slide
        self.cfi = _A64Cfi(frame) if frame is not None else None
        pt = gdb.lookup_type("struct pt_regs")
        self.pt_size = pt.sizeof
        # (From the type's fields: an expression naming the struct makes
        # gdb expand the debug info of every unit, a minute here.)
        frames = [f.bitpos // 8 for f in pt.fields()
                  if f.name == "stackframe"]
        if not frames:
            raise OrcError("struct pt_regs has no stackframe")
        self.pt_frame = frames[0]
        # With CONFIG_SHADOW_CALL_STACK, call_on_irq_stack pushes the
        # shadow stack pointer below its caller's sp first.
        self.irq_push = 16 + (16 if "irq_shadow_call_stack_ptr" in syms
                              else 0)

    def within(self, name, pc):
        r = self.ranges.get(name)
        return r is not None and r[0] <= pc < r[1]

    def between(self, start, end, pc):
        a, b = self.ranges.get(start), self.ranges.get(end)
        return a is not None and b is not None and a[0] <= pc < b[0]

    def row(self, pc):
        if self.cfi is None:
            return None
        return self.cfi.row((pc - self.slide) & _A64_MASK)


def _a64_symbols(elf, names):
    """{name: (st_value, st_size)} of the .symtab symbols named."""
    symtab = elf.sections.get(".symtab")
    if symtab is None:
        return {}
    strs = elf.data(elf.shdrs[symtab[6]])
    want = {}
    for name in names:
        at = strs.find(b"\0" + name.encode() + b"\0")
        if at >= 0:
            want[at + 1] = name
    got = {}
    for st_name, _, _, _, value, size in struct.iter_unpack(
            "<IBBHQQ", elf.data(symtab)):
        name = want.get(st_name)
        if name is not None and name not in got:
            got[name] = (value, size)
    return got


class Arm64Unwinder(Unwinder):
    def __init__(self, shared):
        super().__init__("gdbserver-vmcore aarch64")
        self.shared = shared    # vmcore-orc.py's OrcUnwinder: common state
        self.kernel = False     # _A64Kernel, None, or False: look
        self.cmask = None

    def objfiles_changed(self, _event=None):
        self.kernel = False
        self.cmask = None

    def _kernel(self):
        if self.kernel is not False:
            return self.kernel
        self.kernel = None
        for objfile in gdb.objfiles():
            path = objfile.filename
            if not path or not _a64_is_vmlinux(path):
                continue
            try:
                self.kernel = _A64Kernel(path)
            except (OSError, OrcError, ValueError, gdb.error) as e:
                self.shared._warn("vmcore-arm64: no unwinding through "
                                  "entry code: %s" % e)
            break
        return self.kernel

    def __call__(self, pf):
        if pf.architecture().name() != "aarch64":
            return None
        if not self.shared._is_ours():
            return None
        k = self._kernel()
        if k is None:
            return None
        pc = int(pf.read_register("pc")) & _A64_MASK
        sp = int(pf.read_register("sp")) & _A64_MASK
        key = (sp, pc)
        shared = self.shared
        bias = shared.bias.get(key, 0)
        exact = shared.exact.get(key)
        try:
            if exact:
                return self._end(pf, sp, pc, bias)
            if any(k.within(b, pc) for b in _A64_BOTTOMS):
                return self._end(pf, sp, pc, bias)
            level = pf.level()
            if level > 0 and k.between("__entry_text_start",
                                       "__entry_text_end", pc):
                return self._entry(pf, k, sp, pc, bias)
            if level > 0 and k.within("call_on_irq_stack", pc):
                return self._irq_switch(pf, k, sp, pc, bias)
            if (exact is not None or bias or
                    k.between("_sinittext", "_einittext", pc)):
                return self._cfi(pf, k, sp, pc, bias,
                                 exact is not None or level == 0)
        except gdb.error:
            # Unreadable memory, or a register gdb does not have (a
            # sleeping task's x30): leave the frame to gdb.
            return None
        return None

    # ---- helpers ---------------------------------------------------------
    def _strip(self, pf, x):
        """A return address without its PAC (the server strips them by
        default; with --keep-pac, gdb has the mask as pauth_cmask)."""
        if self.cmask is None:
            try:
                self.cmask = int(pf.read_register("pauth_cmask")) & _A64_MASK
            except (gdb.error, ValueError):
                self.cmask = 0
        if x >> 55 & 1:
            return x | self.cmask
        return x & ~self.cmask & _A64_MASK

    def _info(self, pf, sp, pc, bias, regs, exact_caller=None):
        """The unwind info of this frame (id: its own sp plus bias, as in
        vmcore-orc.py's _unwind) with the caller's registers; the caller's
        bias when its sp lies below this frame's id."""
        shared = self.shared
        me = sp + bias
        caller = (regs["sp"] & _A64_MASK, regs["pc"] & _A64_MASK)
        if exact_caller is not None:
            shared.exact[caller] = exact_caller
        caller_bias = max(bias, me - caller[0])
        if caller_bias:
            shared.bias[caller] = caller_bias
        info = pf.create_unwind_info(_FrameId(me, pc))
        for name, x in regs.items():
            info.add_saved_register(name, shared._value(pf, name, x))
        return info

    def _end(self, pf, sp, pc, bias):
        """The last frame of a stack: its caller is at pc 0 (see
        vmcore-orc.py's _end), with x29 and x30 0 too, which gdb's aarch64
        stub unwinder reads on that frame."""
        self.shared.ends.add((sp, pc))
        info = pf.create_unwind_info(_FrameId(sp + bias, pc))
        for name, x in (("pc", 0), ("sp", sp), ("x29", 0), ("x30", 0)):
            info.add_saved_register(name, self.shared._value(pf, name, x))
        return info

    def _pass(self, pf, regs, names):
        for name in names:
            if name not in regs:
                try:
                    regs[name] = int(pf.read_register(name)) & _A64_MASK
                except (gdb.error, ValueError):
                    pass

    # ---- the frame kinds -------------------------------------------------
    def _entry(self, pf, k, sp, pc, bias):
        """An entry frame (its handler returned to it): struct pt_regs is
        at sp, and x29 points at its stackframe (kernel_entry)."""
        x29 = int(pf.read_register("x29")) & _A64_MASK
        if x29 != sp + k.pt_frame:
            return None
        raw = bytes(gdb.selected_inferior().read_memory(sp, 34 * 8))
        vals = struct.unpack("<34Q", raw)
        regs = dict(("x%d" % i, vals[i]) for i in range(31))
        regs["sp"], regs["pc"], regs["cpsr"] = vals[31], vals[32], vals[33]
        regs["cpsr"] &= 0xffffffff
        user = not vals[33] & _A64_EL_MASK
        return self._info(pf, sp, pc, bias, regs, exact_caller=user)

    def _irq_switch(self, pf, k, sp, pc, bias):
        """call_on_irq_stack, returned to from the handler it ran on the
        IRQ stack: its frame record, on the task stack, gives the caller's
        x29 and pc; the caller's sp is above the record."""
        x29 = int(pf.read_register("x29")) & _A64_MASK
        raw = bytes(gdb.selected_inferior().read_memory(x29, 16))
        fp, lr = struct.unpack("<QQ", raw)
        regs = {"x29": fp, "pc": self._strip(pf, lr),
                "sp": x29 + k.irq_push}
        regs["x30"] = regs["pc"]
        self._pass(pf, regs, ["x%d" % i for i in range(19, 29)])
        return self._info(pf, sp, pc, bias, regs)

    def _cfi(self, pf, k, sp, pc, bias, exact):
        """A frame unwound with the vmlinux's CFI at its pc (exact: an
        interrupted or the newest frame) or at pc - 1 (a return address);
        without an FDE (assembly), from its frame record."""
        row = k.row(pc if exact else pc - 1)
        inf = gdb.selected_inferior()
        regs = {}
        if row is None:
            if not bias:
                return None
            x29 = int(pf.read_register("x29")) & _A64_MASK
            if not x29:
                return self._end(pf, sp, pc, bias)
            fp, lr = struct.unpack("<QQ", bytes(inf.read_memory(x29, 16)))
            regs = {"x29": fp, "x30": self._strip(pf, lr), "sp": x29 + 16}
        else:
            cfa_reg, cfa_off, saved = row
            if cfa_reg == 31:
                base = sp
            elif cfa_reg <= 30:
                base = int(pf.read_register("x%d" % cfa_reg)) & _A64_MASK
            else:
                return None
            cfa = (base + cfa_off) & _A64_MASK
            for reg, off in saved.items():
                if reg <= 30:
                    regs["x%d" % reg] = struct.unpack("<Q", bytes(
                        inf.read_memory((cfa + off) & _A64_MASK, 8)))[0]
            if "x30" in regs:
                regs["x30"] = self._strip(pf, regs["x30"])
            regs["sp"] = cfa
        self._pass(pf, regs, ["x%d" % i for i in range(19, 31)])
        if "x30" not in regs:
            return None
        regs["pc"] = regs["x30"]
        return self._info(pf, sp, pc, bias, regs)


def _a64_is_vmlinux(path):
    try:
        with open(path, "rb") as f:
            hdr = f.read(20)
    except OSError:
        return False
    # ELF64, little-endian, EM_AARCH64 (183), ET_EXEC or (a relocatable
    # kernel, linked -pie) ET_DYN: not a module's ET_REL .ko
    return (len(hdr) == 20 and hdr[:4] == b"\x7fELF" and hdr[4] == 2 and
            hdr[5] == 1 and struct.unpack_from("<HH", hdr, 16) in
            ((2, 183), (3, 183)))


_A64_UNWINDER = Arm64Unwinder(_UNWINDER)
gdb.unwinder.register_unwinder(None, _A64_UNWINDER, replace=True)
gdb.events.new_objfile.connect(_A64_UNWINDER.objfiles_changed)
gdb.events.clear_objfiles.connect(_A64_UNWINDER.objfiles_changed)
