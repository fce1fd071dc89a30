#!/usr/bin/env python3
"""Benchmarks for gdbserver-vmcore, each with its anchor in the same run.

1. Bulk read: `dump binary memory` of 256 MiB of the direct map through the
   server (pipe and TCP) vs gdb reading the same bytes from the ELF file
   natively (core-file).  Target: at least half the native speed.
2. 100k small reads from a gdb Python loop: per-read time vs native.
3. Startup on a synthetic 64 GiB sparse dump with 1000 PT_LOADs: time from
   starting the server to its reply to the first '?' (gdb's first prompt
   needs nothing more from it).  Target: under 50 ms.
4. Server peak RSS (VmHWM) over the bulk read and on the sparse dump.
   Target: under 32 MiB.
5. kdump-compressed pages: random reads vs drgn (libkdumpfile), and the
   sequential rate vs decompression alone.
6. elfconv: a 512 MiB ELF64 i386 dump to ELF32 vs `cp --sparse=always` of
   the same file.  Target: at most 1.2x cp's time.
7. Task threads: `thread apply all bt` over every task through the server
   (the vmlinux found by its build-id as gdb's exec file) vs drgn's
   stack_trace() of every task of the same dump with the same vmlinux,
   and crash's `foreach bt` (Debian 12's crash 8.0.2 reads no PID hash
   on 6.1 kernels, so it finds only the tasks running on CPUs: its time
   is printed with the count it found); and time and peak RSS of gdb and
   the server to gdb's first prompt with the 590 MB vmlinux.
"""
import argparse
import os
import shutil
import re
import resource
import socket
import subprocess
import sys
import tempfile
import time

BULK = 256 << 20
SMALL_READS = 100_000


def sh(cmd, **kw):
    return subprocess.run(cmd, check=True, capture_output=True, text=True, **kw)


def direct_map_start(vmcore):
    """Virtual start of the first direct-map PT_LOAD at least BULK long."""
    out = sh(["readelf", "-lW", vmcore]).stdout
    for line in out.splitlines():
        f = line.split()
        if f and f[0] == "LOAD":
            vaddr, memsz = int(f[2], 16), int(f[5], 16)
            if vaddr < 0xffffffff80000000 and memsz >= BULK:
                return vaddr
    sys.exit("bench: no direct-map PT_LOAD of %d MiB in %s" % (BULK >> 20, vmcore))


def timed_gdb(args):
    t = time.perf_counter()
    sh(["gdb", "-nx", "-batch"] + args)
    return time.perf_counter() - t


def cpu_children():
    r = resource.getrusage(resource.RUSAGE_CHILDREN)
    return r.ru_utime + r.ru_stime


def peak_rss_kib(pid):
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            if line.startswith("VmHWM:"):
                return int(line.split()[1])
    return -1


def start_tcp_server(server, dump, keep=False):
    p = subprocess.Popen([server, "--listen", "127.0.0.1:0", dump] +
                         (["--keep-listening"] if keep else []),
                         stderr=subprocess.PIPE, text=True)
    for line in p.stderr:
        m = re.search(r"listening on (\S+)", line)
        if m:
            return p, m.group(1)
    sys.exit("bench: server did not start")


def bench_bulk(server, vmcore, tmp):
    start = direct_map_start(vmcore)
    end = start + BULK
    dump_cmd = "dump binary memory %s/%%s 0x%x 0x%x" % (tmp, start, end)
    # Warm the page cache so both sides read from memory.
    subprocess.run(["cat", vmcore], stdout=subprocess.DEVNULL, check=True)
    native = min(timed_gdb(["-ex", "core-file " + vmcore,
                            "-ex", dump_cmd % "native"]) for _ in range(2))
    pipe = min(timed_gdb(["-ex", "target remote | %s -q %s" % (server, vmcore),
                          "-ex", dump_cmd % "pipe"]) for _ in range(2))
    # Keep the server alive after gdb leaves, to read its peak RSS.
    # CPU time of reaped children: gdb's after it exits, the server's
    # after it is reaped.  gdb's share is the floor any server can reach.
    p, where = start_tcp_server(server, vmcore, keep=True)
    c0 = cpu_children()
    tcp = timed_gdb(["-ex", "target remote " + where, "-ex", dump_cmd % "tcp"])
    c1 = cpu_children()
    rss = peak_rss_kib(p.pid)
    p.terminate()
    p.wait()
    gdb_cpu, server_cpu = c1 - c0, cpu_children() - c1
    same = all(open("%s/%s" % (tmp, n), "rb").read() ==
               open("%s/native" % tmp, "rb").read() for n in ("pipe", "tcp"))
    print("bulk read of %d MiB of the direct map (dump binary memory):"
          % (BULK >> 20))
    print("  native (gdb core-file)   %6.2f s  %7.1f MiB/s" % (native, 256 / native))
    print("  gdbserver-vmcore, pipe   %6.2f s  %7.1f MiB/s  = %.2fx native speed"
          % (pipe, 256 / pipe, native / pipe))
    print("  gdbserver-vmcore, TCP    %6.2f s  %7.1f MiB/s  = %.2fx native speed"
          % (tcp, 256 / tcp, native / tcp))
    print("  TCP run CPU: gdb %.2f s, server %.2f s; gdb's own work on"
          " the hex 'm' replies alone caps any server at %.2fx native"
          % (gdb_cpu, server_cpu, native / gdb_cpu))
    print("  bytes identical: %s; server peak RSS %.1f MiB (target < 32)"
          % (same, rss / 1024))
    for n in ("native", "pipe", "tcp"):
        os.unlink("%s/%s" % (tmp, n))
    return start


SMALL_SCRIPT = r'''
import gdb, time
inf = gdb.selected_inferior()
base = %d
n = %d
t = time.perf_counter()
for i in range(n):
    inf.read_memory(base + (i * 4104) %% (64 << 20), 8)
print("SMALL %%.9f" %% ((time.perf_counter() - t) / n))
'''


def bench_small(server, vmcore, start, tmp):
    script = os.path.join(tmp, "small.py")
    with open(script, "w") as f:
        f.write(SMALL_SCRIPT % (start, SMALL_READS))

    def per_read(target_args):
        out = sh(["gdb", "-nx", "-batch"] + target_args + ["-x", script]).stdout
        return float(re.search(r"SMALL (\S+)", out).group(1))

    native = per_read(["-ex", "core-file " + vmcore])
    pipe = per_read(["-ex", "target remote | %s -q %s" % (server, vmcore)])
    p, where = start_tcp_server(server, vmcore)
    tcp = per_read(["-ex", "target remote " + where])
    p.wait()
    print("%d small reads (8 bytes) from a gdb Python loop:" % SMALL_READS)
    print("  native (gdb core-file)   %6.1f us/read" % (native * 1e6))
    print("  gdbserver-vmcore, pipe   %6.1f us/read = %.1fx native time"
          % (pipe * 1e6, pipe / native))
    print("  gdbserver-vmcore, TCP    %6.1f us/read = %.1fx native time"
          % (tcp * 1e6, tcp / native))


def recv_packet(sock, buf):
    """Read until BUF holds a whole $...#xx packet; return (packet, rest)."""
    while True:
        m = re.search(rb"\$([^#]*)#[0-9a-fA-F]{2}", buf)
        if m:
            return m.group(1), buf[m.end():]
        chunk = sock.recv(65536)
        if not chunk:
            sys.exit("bench: server closed the connection")
        buf += chunk


def first_reply_time(server, dump):
    """Seconds from exec to the reply to '?' over a socketpair, and RSS."""
    ours, theirs = socket.socketpair()
    t = time.perf_counter()
    p = subprocess.Popen([server, "-q", dump], stdin=theirs, stdout=theirs,
                         stderr=subprocess.DEVNULL)
    theirs.close()
    buf, reply = b"", b""
    for pkt in (b"qSupported", b"QStartNoAckMode", b"?"):
        ours.sendall(b"$%s#%02x" % (pkt, sum(pkt) & 0xff))
        reply, buf = recv_packet(ours, buf)
        if pkt != b"?":
            ours.sendall(b"+")
    elapsed = time.perf_counter() - t
    rss = peak_rss_kib(p.pid)
    ours.sendall(b"$D#44")
    ours.close()
    p.wait()
    return elapsed, rss, reply


def bench_startup(server, mkvmcore, tmp):
    dump = os.path.join(tmp, "sparse.vmcore")
    sh([mkvmcore, "--sparse-segments", "1000", "--sparse-gib", "64", dump])
    # Anchor: starting a program that does nothing (fork+exec cost).
    t = time.perf_counter()
    for _ in range(20):
        subprocess.run(["true"], check=True)
    anchor = (time.perf_counter() - t) / 20
    times, rss, reply = [], 0, b""
    for _ in range(20):
        e, r, reply = first_reply_time(server, dump)
        times.append(e)
        rss = max(rss, r)
    times.sort()
    print("startup on a 64 GiB sparse dump with 1000 PT_LOADs (%d MiB on disk):"
          % (os.stat(dump).st_blocks * 512 >> 20))
    print("  to the reply to '?': median %.1f ms, max %.1f ms (target < 50); "
          "anchor exec of true(1): %.1f ms"
          % (times[len(times) // 2] * 1e3, times[-1] * 1e3, anchor * 1e3))
    print("  server peak RSS %.1f MiB (target < 32); stop reply %s"
          % (rss / 1024, reply.decode(errors="replace")))
    os.unlink(dump)


DRGN_READS = r"""
import sys, time, drgn
prog = drgn.Program()
prog.set_core_dump(sys.argv[1])
pfns = [int(l) for l in open(sys.argv[2])]
t = time.perf_counter()
for p in pfns:
    prog.read(p * 4096, 4096, True)
d = time.perf_counter() - t
t = time.perf_counter()
for p in pfns:
    pass
print("%.9f %.9f" % (d / len(pfns), (time.perf_counter() - t) / len(pfns)))
"""


def bench_kdump(build, vmcore, tmp):
    """Random and sequential page reads from a kdump-compressed dump."""
    rp = os.path.join(build, "bench", "readpages")
    kd = os.path.join(tmp, "vmcore.kdump")
    # The same dump as distributions save it: zlib, dump level 31.
    sh(["makedumpfile", "-c", "-d", "31", "--message-level", "0",
        vmcore, kd])
    pfns = os.path.join(tmp, "pfns")
    with open(pfns, "w") as f:
        f.write(sh([rp, "sample", kd, "5000", "1"]).stdout)
    # drgn is a Debian python3 module: the system interpreter has it.
    ours = min(float(sh([rp, "random", kd, pfns]).stdout.split()[0])
               for _ in range(3))
    drgn_runs = [sh(["/usr/bin/python3", "-c", DRGN_READS, kd, pfns]).stdout.split()
                 for _ in range(3)]
    drgn_t = min(float(r[0]) for r in drgn_runs)
    loop = min(float(r[1]) for r in drgn_runs)
    seq = max((sh([rp, "all", kd]).stdout.split() for _ in range(3)),
              key=lambda r: float(r[0]))
    limit = max((sh([rp, "inflate", kd]).stdout.split() for _ in range(3)),
                key=lambda r: float(r[0]))
    print("kdump-compressed (makedumpfile -c -d 31, %.1f MiB):"
          % (os.path.getsize(kd) / 2**20))
    print("  5000 random 4 KiB pages: libvmcore %.1f us/page; drgn "
          "(libkdumpfile) %.1f us/page (Python loop %.2f us of it) = %.2fx "
          "drgn's time" % (ours * 1e6, drgn_t * 1e6, loop * 1e6,
                           ours / drgn_t))
    print("  all %s pages in order: %s MB/s; decompression alone from "
          "memory: %s MB/s = %.2fx the limit"
          % (seq[1], seq[0], limit[0], float(seq[0]) / float(limit[0])))


def write_i386_elf64(path, size, seed=1):
    """An i386 dump in an ELF64 container, as kexec --elf64-core-headers
    writes it: 2 NT_PRSTATUS (144 bytes) and the VMCOREINFO note every
    kdump has (without it, opening the dump would scan it for the kernel's
    copy, as for a QEMU dump of a guest without -device vmcoreinfo), one
    PT_LOAD of SIZE bytes at physical 1 MiB; every 8th page zero, the
    rest pseudo-random."""
    import struct
    notes = b""
    for pid in (0, 100):
        desc = bytearray(144)
        struct.pack_into("<I", desc, 24, pid)
        notes += struct.pack("<III", 5, len(desc), 1) + b"CORE\0\0\0\0" + desc
    vmci = b"OSRELEASE=6.1.0-57-686-pae\nPAGESIZE=4096\n"
    vmci += bytes(-len(vmci) % 4)
    notes += struct.pack("<III", 11, len(vmci), 0) + b"VMCOREINFO\0\0" + vmci
    phoff, phnum = 64, 2
    notes_off = phoff + phnum * 56
    data_off = (notes_off + len(notes) + 4095) // 4096 * 4096
    eh = (b"\x7fELF" + bytes([2, 1, 1, 0]) + bytes(8) +
          struct.pack("<HHIQQQIHHHHHH", 4, 3, 1, 0, phoff, 0, 0, 64, 56,
                      phnum, 0, 0, 0))
    ph = struct.pack("<IIQQQQQQ", 4, 0, notes_off, 0, 0, len(notes),
                     len(notes), 4)
    ph += struct.pack("<IIQQQQQQ", 1, 7, data_off, 0xc0100000, 0x100000,
                      size, size, 0)
    rnd = os.urandom(1 << 20)
    zero = bytes(4096)
    with open(path, "wb") as f:
        f.write(eh + ph + notes)
        f.seek(data_off)
        for mb in range(size >> 20):
            chunk = bytearray(rnd)
            chunk[0:8] = struct.pack("<Q", mb ^ seed)
            for pg in range(0, 256, 8):
                chunk[pg * 4096:(pg + 1) * 4096] = zero
            f.write(chunk)


def best_of(n, cmd):
    times = []
    for _ in range(n):
        t = time.monotonic()
        subprocess.run(cmd, check=True, capture_output=True)
        times.append(time.monotonic() - t)
    return min(times)


def bench_elfconv(build, tmp):
    """elfconv ELF64 -> ELF32 of a 512 MiB dump vs cp --sparse=always."""
    src = os.path.join(tmp, "i386-elf64.vmcore")
    write_i386_elf64(src, 512 << 20)
    conv = os.path.join(build, "elfconv")
    out = os.path.join(tmp, "out.elf32")
    cpout = os.path.join(tmp, "out.cp")
    subprocess.run(["cat", src], check=True, stdout=subprocess.DEVNULL)
    t_cp = best_of(3, ["sh", "-c", 'rm -f "$1"; cp --sparse=always "$0" "$1"',
                       src, cpout])
    # elfconv fsyncs its output before the rename (a dump must not be
    # half on disk after a crash); cp does not, so also time cp + fsync.
    t_cps = best_of(3, ["sh", "-c", 'rm -f "$1"; cp --sparse=always "$0" '
                        '"$1" && sync "$1"', src, cpout])
    t_conv = best_of(3, ["sh", "-c", 'rm -f "$1"; "$2" -q "$0" "$1"', src,
                         out, conv])
    hdr = open(out, "rb").read(5)
    assert hdr == b"\x7fELF\x01", "elfconv did not write ELF32"
    print("elfconv ELF64 -> ELF32, 512 MiB (1/8 zero pages): %.3f s; "
          "cp --sparse=always %.3f s, cp + sync of the file %.3f s: "
          "%.2fx cp, %.2fx cp + sync (target <= 1.2x)"
          % (t_conv, t_cp, t_cps, t_conv / t_cp, t_conv / t_cps))
    # The same on tmpfs, where fsync costs nothing: the conversion's own
    # work against cp's, without the disk.
    shm = "/dev/shm"
    if os.path.isdir(shm) and os.statvfs(shm).f_bavail * os.statvfs(shm).f_frsize > (2 << 30):
        d = tempfile.mkdtemp(dir=shm)
        try:
            ssrc = os.path.join(d, "src")
            shutil.copyfile(src, ssrc)
            sout, scp = os.path.join(d, "out"), os.path.join(d, "cp")
            t_cp2 = best_of(5, ["sh", "-c", 'rm -f "$1"; cp --sparse=always "$0" "$1"',
                                ssrc, scp])
            t_conv2 = best_of(5, ["sh", "-c", 'rm -f "$1"; "$2" -q "$0" "$1"',
                                  ssrc, sout, conv])
            print("  on tmpfs (fsync free): elfconv %.3f s, cp --sparse=always "
                  "%.3f s: %.2fx (target <= 1.2x)"
                  % (t_conv2, t_cp2, t_conv2 / t_cp2))
        finally:
            shutil.rmtree(d)


DRGN_TASKS = r"""
import sys, time, drgn
from drgn.helpers.linux.pid import for_each_task
t0 = time.perf_counter()
prog = drgn.Program()
prog.set_core_dump(sys.argv[1])
prog.load_debug_info([sys.argv[2]])
t1 = time.perf_counter()
n = frames = 0
for task in for_each_task(prog):
    trace = prog.stack_trace(task)
    text = str(trace)          # symbolized, as gdb's bt prints it
    n += 1
    frames += len(trace)
t2 = time.perf_counter()
print("%.6f %.6f %d %d" % (t1 - t0, t2 - t1, n, frames))
"""

# The server under a parent that writes its peak RSS (KiB) to a file.
RSS_WRAPPER = ("import resource, subprocess, sys; subprocess.run(sys.argv[2:]); "
               "open(sys.argv[1], 'w').write(str(resource.getrusage("
               "resource.RUSAGE_CHILDREN).ru_maxrss))")
GDB_HWM = ("python print('VmHWM ' + [l for l in open('/proc/self/status') "
           "if l.startswith('VmHWM')][0].split()[1])")


def gdb_tasks(server, vmcore, vmlinux, tmp, cmds):
    """gdb on VMLINUX (relative, from its directory) with task threads
    found by build-id; returns (seconds, gdb output, server peak KiB)."""
    rss = os.path.join(tmp, "server.rss")
    target = "target remote | /usr/bin/python3 -c \"%s\" %s %s -q " \
        "--threads tasks %s" % (RSS_WRAPPER, rss, server, vmcore)
    args = ["gdb", "-nx", "-batch", os.path.basename(vmlinux), "-ex", target]
    for c in cmds:
        args += ["-ex", c]
    t = time.perf_counter()
    out = sh(args, cwd=os.path.dirname(vmlinux)).stdout
    took = time.perf_counter() - t
    with open(rss) as f:
        return took, out, int(f.read())


def bench_tasks(server, dump_dir, tmp):
    vmcore = os.path.join(dump_dir, "vmcore")
    with open(os.path.join(dump_dir, "meta.txt")) as f:
        vmlinux = re.search(r"^VMLINUX=(.*)$", f.read(), re.M).group(1)
    subprocess.run(["cat", vmcore, vmlinux], stdout=subprocess.DEVNULL,
                   check=True)
    start = [gdb_tasks(server, vmcore, vmlinux, tmp, [GDB_HWM])
             for _ in range(2)]
    t_start, out, srv_rss = min(start, key=lambda r: r[0])
    gdb_rss = int(re.search(r"^VmHWM (\d+)", out, re.M).group(1))
    bts = [gdb_tasks(server, vmcore, vmlinux, tmp, ["thread apply all bt"])
           for _ in range(2)]
    t_bt, out, bt_rss = min(bts, key=lambda r: r[0])
    nthreads = len(re.findall(r"^Thread \d+ \(Thread ", out, re.M))
    nframes = len(re.findall(r"^#\d+ ", out, re.M))
    runs = [sh(["/usr/bin/python3", "-c", DRGN_TASKS, vmcore, vmlinux])
            .stdout.split() for _ in range(2)]
    d_load, d_bt, d_n, d_frames = min(runs, key=lambda r: float(r[0]) +
                                      float(r[1]))
    d_total = float(d_load) + float(d_bt)
    print("task threads (%d tasks, vmlinux found as gdb's exec file):"
          % nthreads)
    print("  gdb to its first prompt and exit: %.2f s; peak RSS gdb %.0f "
          "MiB, server %.1f MiB" % (t_start, gdb_rss / 1024, srv_rss / 1024))
    print("  thread apply all bt: %.2f s in all (%d backtraces, %d frames; "
          "%.2f s after the prompt); server peak RSS %.1f MiB"
          % (t_bt, nthreads, nframes, t_bt - t_start, bt_rss / 1024))
    print("  anchor drgn 0.0.22 stack_trace() of every task: %.2f s in all "
          "(%s tasks, %s frames; load %.2f s, traces %.2f s)"
          % (d_total, d_n, d_frames, float(d_load), float(d_bt)))
    print("  ratio: %.2fx drgn's time in all; backtraces alone %.2fx"
          % (t_bt / d_total, (t_bt - t_start) / float(d_bt)))
    c_t, c_n, c_frames = crash_foreach_bt(vmcore, vmlinux, tmp)
    print("  anchor crash foreach bt: %.2f s in all (%d of the %d tasks, "
          "%d frames); ratio %.2fx crash's time"
          % (c_t, c_n, nthreads, c_frames, t_bt / c_t))


def crash_foreach_bt(vmcore, vmlinux, tmp):
    """crash's `foreach bt` on the same dump: (best seconds of two, tasks
    it printed, frames)."""
    cmds = os.path.join(tmp, "crash.cmd")
    with open(cmds, "w") as f:
        f.write("foreach bt\nquit\n")
    best = None
    for _ in range(2):
        t = time.perf_counter()
        out = subprocess.run(["crash", "-s", vmlinux, vmcore, "-i", cmds],
                             stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                             stdin=subprocess.DEVNULL, text=True,
                             check=True).stdout
        took = time.perf_counter() - t
        best = took if best is None else min(best, took)
    return (best, len(re.findall(r"^PID: ", out, re.M)),
            len(re.findall(r"^ *#\d+ \[", out, re.M)))


def main():
    sys.stdout.reconfigure(line_buffering=True)
    ap = argparse.ArgumentParser()
    ap.add_argument("--build", required=True)
    ap.add_argument("--dump-dir", required=True)
    a = ap.parse_args()
    server = os.path.join(a.build, "gdbserver-vmcore")
    mkvmcore = os.path.join(a.build, "tests", "mkvmcore")
    vmcore = os.path.join(a.dump_dir, "vmcore")
    with tempfile.TemporaryDirectory() as tmp:
        start = bench_bulk(server, vmcore, tmp)
        bench_small(server, vmcore, start, tmp)
        bench_startup(server, mkvmcore, tmp)
        bench_kdump(a.build, vmcore, tmp)
        bench_elfconv(a.build, tmp)
        bench_tasks(server, a.dump_dir, tmp)


if __name__ == "__main__":
    main()
