# Physical pages of a kdump-compressed dump, read through gdb and the
# server: excluded and lost pages fail the way gdb expects, present pages
# hold the reference's bytes, and `monitor zero-excluded` turns excluded
# pages into zeros.  Run by tests/kdump/run.sh as:
#   VMC_PAGES="PFN=HASH ..." [VMC_EXCLUDED=PFN] [VMC_INFO_HAS="a|b"] \
#   [VMC_UNREADABLE="SYMBOL ..."] [VMC_ZERO_START=1] gdb -batch -nx VMLINUX \
#       -ex 'target remote | gdbserver-vmcore DUMP' -x pages.py
# HASH is the page as a reader we did not write read it (run.sh takes it
# from drgn, tests/kdump/drgn_pages.py): crc32 and adler32 as 16 hex
# digits, or "-" for a page that must not read.  Pages
# are read in the kernel's direct map (page_offset_base + physical).
# VMC_EXCLUDED names an excluded pfn to toggle zero-excluded on; with
# VMC_ZERO_START=1 the server was started with --zero-excluded.
# VMC_UNREADABLE lists symbols whose memory must fail to read.
import os
import sys
import zlib

import gdb

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                "..", "gdb"))
from checks import check, check_in, check_match, finish, run, value  # noqa

PAGE = 4096
try:
    base = int(value("page_offset_base"))
except (gdb.error, TypeError) as e:  # read fails, or no such symbol
    base = None
    base_error = str(e)


def vaddr(pfn):
    return base + pfn * PAGE


def need_base(what):
    return check("page_offset_base reads (for %s)" % what, base is not None,
                 base_error if base is None else "")


def page_hash(pfn):
    """The page's hash, or None when gdb cannot read it."""
    run("maint flush dcache")   # no bytes from before a zero-excluded switch
    try:
        data = bytes(gdb.selected_inferior().read_memory(vaddr(pfn), PAGE))
    except gdb.MemoryError:
        return None
    return "%08x%08x" % (zlib.crc32(data), zlib.adler32(data))


def expect_unreadable(name, pfn):
    run("maint flush dcache")
    out = run("x/2gx 0x%x" % vaddr(pfn))
    check_in(name, "Cannot access memory at address 0x%x" % vaddr(pfn), out)


def expect_zeros(name, pfn):
    run("maint flush dcache")
    out = run("x/2gx 0x%x" % vaddr(pfn))
    check_match(name, r":\s+0x0+\s+0x0+\s*$", out)
    zero = "%08x%08x" % (zlib.crc32(bytes(PAGE)), zlib.adler32(bytes(PAGE)))
    check(name + " (whole page)", page_hash(pfn) == zero,
          "page 0x%x does not read as zeros" % pfn)


info = run("monitor info")
for needle in filter(None, os.environ.get("VMC_INFO_HAS", "").split("|")):
    check_in("monitor info says %r" % needle, needle, info)

for sym in os.environ.get("VMC_UNREADABLE", "").split():
    check_in("%s does not read" % sym, "Cannot access memory",
             run("x/2gx &%s" % sym))

pages = os.environ.get("VMC_PAGES", "").split()
if pages and not need_base("VMC_PAGES"):
    pages = []
for item in pages:
    pfn, want = item.split("=")
    pfn = int(pfn)
    if want == "-":
        expect_unreadable("pfn 0x%x does not read" % pfn, pfn)
    else:
        got = page_hash(pfn)
        check("pfn 0x%x reads the reference's bytes" % pfn, got == want,
              "hash %s, reference %s" % (got, want))

excl = os.environ.get("VMC_EXCLUDED")
if excl and need_base("VMC_EXCLUDED"):
    pfn = int(excl)
    if os.environ.get("VMC_ZERO_START") == "1":
        check_in("--zero-excluded: monitor info says zeros",
                 "read as zeros", info)
        expect_zeros("--zero-excluded: excluded pfn 0x%x reads zeros" % pfn,
                     pfn)
        check_in("monitor zero-excluded off",
                 "excluded pages read as errors",
                 run("monitor zero-excluded off"))
        expect_unreadable("excluded pfn 0x%x fails again" % pfn, pfn)
    else:
        expect_unreadable("excluded pfn 0x%x: Cannot access memory" % pfn,
                          pfn)
        check_in("monitor zero-excluded on", "excluded pages read as zeros",
                 run("monitor zero-excluded on"))
        expect_zeros("zero-excluded on: pfn 0x%x reads zeros" % pfn, pfn)
        check_in("monitor info after zero-excluded on", "read as zeros",
                 run("monitor info"))
        check_in("monitor zero-excluded off",
                 "excluded pages read as errors",
                 run("monitor zero-excluded off"))
        expect_unreadable("zero-excluded off: pfn 0x%x fails again" % pfn,
                          pfn)

if info:
    check_in("the server still answers", "format", run("monitor info"))
finish()
