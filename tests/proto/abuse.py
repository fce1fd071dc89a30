#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Protocol abuse test for gdbserver-vmcore (Python 3 standard library only).

Usage:
  python3 tests/proto/abuse.py SERVER DUMP READ_ADDR [tcp|pipe|both]

SERVER is the gdbserver-vmcore binary, DUMP a dump it can serve, READ_ADDR
a hex kernel virtual address with at least 128 KiB readable behind it.
tests/proto/run.sh BUILD makes a dump and calls this.

Every case starts a fresh server, over TCP (--listen 127.0.0.1:0, the port
parsed from "gdbserver-vmcore: listening on 127.0.0.1:PORT" on stderr) and
over stdin/stdout, misbehaves (bad checksums, overlong packets, junk and NUL
bytes, 0x03, floods of packets, NAKs, disconnects in the middle of a
packet...), then checks that a valid "$?#3f" still gets a proper stop
reply and that the server ends cleanly: exit status 0 or 1 within a few
seconds, never a hang or a crash.  Everything has a timeout; the whole
run is also bounded by an alarm.

Prints "PASS case" / "FAIL case: detail"; the exit status is the number
of failures.
"""
import os
import re
import select
import signal
import socket
import subprocess
import sys
import threading
import time

TIMEOUT = 10.0          # per read, seconds
EXIT_TIMEOUT = 5.0      # for the server to exit once the client is gone
MAX_PACKET = 256 * 1024
STOP_RE = re.compile(rb"^T05thread:[0-9a-f]+;(core:[0-9a-f]+;)?$")

failures = []


class Timeout(Exception):
    pass


class Closed(Exception):
    pass


def checksum(data):
    return sum(data) & 0xff


def frame(data):
    """An RSP packet; escapes '$', '#', '}' and '*'."""
    out = bytearray()
    for c in data:
        if c in b"$#}*":
            out += bytes([0x7d, c ^ 0x20])
        else:
            out.append(c)
    return b"$" + bytes(out) + b"#%02x" % checksum(out)


def decode(body):
    """Unescape and run-length decode a frame body as gdb's read_frame."""
    out = bytearray()
    i = 0
    while i < len(body):
        c = body[i]
        if c == 0x7d:
            i += 1
            out.append(body[i] ^ 0x20)
        elif c == 0x2a:
            i += 1
            n = body[i] - 29
            if not out or n < 3 or body[i] in b"#$" or body[i] > 126:
                raise ValueError("bad run-length count %r" % body[i])
            out += bytes([out[-1]]) * n
        else:
            out.append(c)
        i += 1
    return bytes(out)


class Session:
    """One server process and one client connection to it."""

    def __init__(self, server, dump, mode):
        self.mode = mode
        self.buf = bytearray()
        self.noack = False
        self.sock = None
        args = [server]
        if mode == "tcp":
            args += ["--listen", "127.0.0.1:0"]
        args.append(dump)
        self.proc = subprocess.Popen(
            args, stdin=subprocess.PIPE if mode == "pipe" else subprocess.DEVNULL,
            stdout=subprocess.PIPE if mode == "pipe" else subprocess.DEVNULL,
            stderr=subprocess.PIPE)
        self.stderr = bytearray()
        if mode == "tcp":
            port = self._wait_port()
            self.sock = socket.create_connection(("127.0.0.1", port), TIMEOUT)
            self.rfd = self.sock.fileno()
        else:
            self.rfd = self.proc.stdout.fileno()
            self.wfd = self.proc.stdin.fileno()

    def _wait_port(self):
        deadline = time.monotonic() + TIMEOUT
        fd = self.proc.stderr.fileno()
        while time.monotonic() < deadline:
            m = re.search(rb"listening on 127\.0\.0\.1:(\d+)", self.stderr)
            if m:
                return int(m.group(1))
            r, _, _ = select.select([fd], [], [], 0.2)
            if r:
                chunk = os.read(fd, 4096)
                if not chunk:
                    break
                self.stderr += chunk
        raise RuntimeError("no 'listening on' line: %r" % bytes(self.stderr))

    # ---- raw I/O ----------------------------------------------------------

    def send(self, data):
        try:
            if self.sock:
                self.sock.sendall(data)
            else:
                self._write_all(data)
        except (BrokenPipeError, ConnectionResetError) as e:
            raise Closed(str(e))

    def _write_all(self, data):
        view = memoryview(data)
        while view:
            n = os.write(self.wfd, view)
            view = view[n:]

    def _fill(self, timeout):
        r, _, _ = select.select([self.rfd], [], [], timeout)
        if not r:
            raise Timeout("no data within %.0fs" % timeout)
        chunk = self.sock.recv(1 << 20) if self.sock else os.read(self.rfd, 1 << 20)
        if not chunk:
            raise Closed("end of file")
        self.buf += chunk

    def read_byte(self, timeout=TIMEOUT):
        deadline = time.monotonic() + timeout
        while not self.buf:
            self._fill(max(0.0, deadline - time.monotonic()))
        b = self.buf[0]
        del self.buf[0]
        return b

    def close_write(self):
        if self.mode == "tcp":
            self.sock.shutdown(socket.SHUT_WR)
        else:
            self.proc.stdin.close()

    def close(self):
        if self.mode == "tcp":
            if self.sock:
                self.sock.close()
            self.sock = None
            return
        for f in (self.proc.stdin, self.proc.stdout):
            try:
                f.close()
            except OSError:
                pass

    # ---- packets ----------------------------------------------------------

    def get_packet(self, timeout=TIMEOUT):
        """The next packet (decoded); returns (data, bytes skipped)."""
        deadline = time.monotonic() + timeout
        skipped = bytearray()
        while True:
            if b"$" in self.buf:
                i = self.buf.index(b"$")
                skipped += self.buf[:i]
                del self.buf[:i]
                j = self.buf.find(b"#")
                if j >= 0 and len(self.buf) >= j + 3:
                    body = bytes(self.buf[1:j])
                    cs = bytes(self.buf[j + 1:j + 3])
                    del self.buf[:j + 3]
                    if int(cs, 16) != checksum(body):
                        raise ValueError("bad checksum %s on %.60r" % (cs, body))
                    return decode(body), bytes(skipped)
            else:
                skipped += self.buf
                self.buf.clear()
            self._fill(max(0.0, deadline - time.monotonic()))

    def expect_ack(self, want=b"+"):
        b = bytes([self.read_byte()])
        if b != want:
            raise ValueError("expected %r, got %r" % (want, b))

    def transact(self, data, timeout=TIMEOUT):
        """Send a packet, get its reply, ack it."""
        self.send(frame(data))
        if not self.noack:
            self.expect_ack()
        reply, skipped = self.get_packet(timeout)
        if skipped.strip(b"+"):
            raise ValueError("unexpected bytes before reply: %r" % skipped)
        if not self.noack:
            self.send(b"+")
        return reply

    def check_alive(self):
        """A valid '?' still gets a stop reply."""
        self.send(b"$?#3f")
        if not self.noack:
            self.expect_ack()
        reply, _ = self.get_packet()
        if not STOP_RE.match(reply):
            raise ValueError("bad stop reply %r" % reply)
        if not self.noack:
            self.send(b"+")
        return reply

    def wait_exit(self, timeout=EXIT_TIMEOUT):
        try:
            return self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            return None

    def finish(self):
        """Detach, and the server must exit with status 0."""
        reply = self.transact(b"D")
        if reply != b"OK":
            raise ValueError("D -> %r" % reply)
        self.close()
        rc = self.wait_exit()
        if rc != 0:
            raise ValueError("exit status %r after D" % rc)

    def kill(self):
        if self.proc.poll() is None:
            self.proc.kill()
        self.proc.wait()
        self.close()
        try:
            self.stderr += self.proc.stderr.read()
        except (OSError, ValueError):
            pass
        self.proc.stderr.close()


# ---- the cases ---------------------------------------------------------------
# Each gets a fresh Session and returns normally or raises.

def case_baseline(s, ctx):
    reply = s.check_alive()
    ctx["stop"] = reply
    sup = s.transact(b"qSupported:multiprocess+;xmlRegisters=i386")
    if b"PacketSize=" not in sup:
        raise ValueError("qSupported -> %r" % sup)
    if s.transact(b"vMustReplyEmpty") != b"":
        raise ValueError("vMustReplyEmpty not empty")
    g = s.transact(b"g")
    if len(g) < 600 or not re.match(rb"^[0-9a-fx]+$", g):
        raise ValueError("g -> %.80r" % g)
    s.finish()


def case_bad_checksums(s, ctx):
    for bad in (b"$?#00", b"$?#3e", b"$?#zz", b"$?#3", b"$g#6z"):
        s.send(bad)
        if bad == b"$?#3":           # completed by the next byte: still bad
            s.send(b"x")
        s.expect_ack(b"-")
        s.check_alive()
    # A burst of 200 bad packets: 200 NAKs.
    s.send(b"$?#00" * 200)
    for _ in range(200):
        s.expect_ack(b"-")
    s.check_alive()
    s.finish()


def case_overlong(s, ctx):
    # More than RSP_MAX_PACKET (256 KiB), with a right and a wrong checksum.
    body = b"m" + b"1" * (MAX_PACKET + 4096)
    s.send(b"$" + body + b"#%02x" % checksum(body))
    s.expect_ack(b"-")
    s.check_alive()
    s.send(b"$" + b"q" * (3 * MAX_PACKET) + b"#00")
    s.expect_ack(b"-")
    s.check_alive()
    # Exactly the maximum is accepted (an unknown packet: empty reply).
    body = b"qZ" + b"a" * (MAX_PACKET - 2)
    s.send(b"$" + body + b"#%02x" % checksum(body))
    s.expect_ack()
    reply, _ = s.get_packet()
    s.send(b"+")
    if reply != b"":
        raise ValueError("max-size unknown packet -> %.40r" % reply)
    s.check_alive()
    s.finish()


def case_junk_and_nul(s, ctx):
    s.send(b"garbage\r\n\x00\x00\xff\xfe#12 + - }}}\x7f")
    s.check_alive()
    # NUL bytes inside a (well-formed) packet.
    reply = s.transact(b"m\x00\x00,\x00")
    if not reply.startswith(b"E"):
        raise ValueError("m with NULs -> %r" % reply)
    reply = s.transact(b"qRcmd,\x00\x00")
    if not reply.startswith(b"E"):
        raise ValueError("qRcmd with NULs -> %r" % reply)
    # An unterminated packet restarted by '$'.
    s.send(b"$m1234,")
    s.check_alive()
    # A '}' escaping the '#': the packet runs on until the next '$'.
    s.send(b"$abc}#00")
    s.check_alive()
    s.finish()


def case_interrupt(s, ctx):
    s.send(b"\x03")
    s.check_alive()
    s.send(b"\x03\x03+\x03-")
    s.check_alive()
    # Interrupt right after a resume request.
    # (The server first explains on the console, in 'O' packets.)
    s.send(frame(b"c") + b"\x03")
    s.expect_ack()
    for _ in range(10):
        reply, _ = s.get_packet()
        s.send(b"+")
        if not reply.startswith(b"O") or reply == b"OK":
            break
    if not reply.startswith(b"T02"):
        raise ValueError("c -> %r" % reply)
    s.check_alive()
    s.finish()


def case_flood(s, ctx):
    n = 3000
    out = frame(b"?") * n
    # Write from a thread while reading here: neither side may block.
    t = threading.Thread(target=lambda: s.send(out), daemon=True)
    t.start()
    got = 0
    while got < n:
        reply, _ = s.get_packet()
        if not STOP_RE.match(reply):
            raise ValueError("reply %d: %r" % (got, reply))
        got += 1
    t.join(TIMEOUT)
    s.buf = bytearray(s.buf.replace(b"+", b""))
    # No-ack mode, then a flood of memory reads.
    if s.transact(b"QStartNoAckMode") != b"OK":
        raise ValueError("QStartNoAckMode refused")
    s.noack = True
    s.buf = bytearray(s.buf.replace(b"+", b""))
    pkt = frame(b"m%x,40" % ctx["addr"])
    t = threading.Thread(target=lambda: s.send(pkt * n), daemon=True)
    t.start()
    first = None
    for i in range(n):
        reply, skipped = s.get_packet()
        if skipped.strip(b"+"):
            raise ValueError("noise in no-ack mode: %r" % skipped)
        if first is None:
            first = reply
        if reply != first or len(reply) != 128:
            raise ValueError("read %d: %.60r" % (i, reply))
    t.join(TIMEOUT)
    s.check_alive()
    s.finish()


def case_big_reads(s, ctx):
    # A read larger than fits: a (short) reply within PacketSize.
    reply = s.transact(b"m%x,100000" % ctx["addr"])
    if not re.match(rb"^[0-9a-f]+$", reply) or len(reply) > MAX_PACKET:
        raise ValueError("big m -> %d bytes %.40r" % (len(reply), reply))
    if len(reply) < 2 * 0x10000:
        raise ValueError("big m gave only %d hex digits" % len(reply))
    s.check_alive()
    s.finish()


def case_binary_reads(s, ctx):
    # x (gdb 16's binary read): the same bytes as m, escaped and
    # run-length encoded in the frame; a huge one within a packet; junk
    # lengths and NULs refused.
    base = ctx["addr"]
    for off, n in ((0, 0x40), (0x123, 0x1000), (0, 0x10000)):
        hexed = s.transact(b"m%x,%x" % (base + off, n))
        raw = s.transact(b"x%x,%x" % (base + off, n))
        if raw[:1] != b"b" or raw[1:].hex().encode() != hexed:
            raise ValueError("x%x,%x -> %d bytes %.40r, m gave %d digits"
                             % (base + off, n, len(raw), raw, len(hexed)))
    raw = s.transact(b"x%x,ffffffffffffffff" % base)
    if raw[:1] != b"b" or not 0x10000 <= len(raw) - 1 < MAX_PACKET:
        raise ValueError("huge x -> %d bytes %.40r" % (len(raw), raw))
    for bad in (b"x", b"x%x" % base, b"x\x00,\x00", b"x%x,1,2" % base,
                b"x-1,1"):
        reply = s.transact(bad)
        if not re.match(rb"^E[0-9a-f]{2}$", reply):
            raise ValueError("%r -> %.40r" % (bad, reply))
    s.check_alive()
    s.finish()


def case_nak_resend(s, ctx):
    s.send(b"$?#3f")
    s.expect_ack()
    first, _ = s.get_packet()
    s.send(b"-")                    # please resend
    again, _ = s.get_packet()
    s.send(b"+")
    if first != again or not STOP_RE.match(first):
        raise ValueError("resend %r != %r" % (again, first))
    s.check_alive()
    s.finish()


def case_nak_forever(s, ctx):
    # Every copy of the reply is NAKed: the server must give up (status
    # 1, "rejected a reply 10 times"), not loop.
    s.send(b"$?#3f")
    s.expect_ack()
    try:
        for _ in range(20):
            s.get_packet(timeout=2)
            s.send(b"-")
    except (Timeout, Closed):
        pass
    rc = s.wait_exit()
    if rc != 1:
        raise ValueError("exit status %r, want 1" % rc)
    s.stderr += s.proc.stderr.read()
    if b"gdb rejected a reply 10 times" not in s.stderr:
        raise ValueError("no 'rejected a reply 10 times' on stderr: %r"
                         % bytes(s.stderr[-500:]))


def end_case(action):
    def case(s, ctx):
        action(s, ctx)
        rc = s.wait_exit()
        if rc is None:
            raise ValueError("server still running %.0fs after the "
                             "client went away" % EXIT_TIMEOUT)
        if rc != 0:     # the man page: a disconnect ends the session, 0
            raise ValueError("exit status %r, want 0" % rc)
    return case


def disconnect_mid_packet(s, ctx):
    s.check_alive()
    s.send(b"$mffffffff81000000,4")
    s.close()


def disconnect_before_ack(s, ctx):
    s.send(b"$g#67")
    s.expect_ack()
    s.close()                       # the reply is never acked


def half_close(s, ctx):
    s.check_alive()
    s.send(b"$?#3f")
    s.close_write()
    s.expect_ack()
    s.get_packet()


def disconnect_mid_flood(s, ctx):
    s.send(frame(b"m%x,1000" % ctx["addr"]) * 500)
    time.sleep(0.05)
    s.close()


def kill_packet(s, ctx):
    s.check_alive()
    s.send(b"$k#6b")
    s.expect_ack()
    rc = s.wait_exit()
    if rc != 0:
        raise ValueError("exit status %r after k" % rc)


CASES = [
    ("baseline", case_baseline),
    ("bad_checksums", case_bad_checksums),
    ("overlong_packets", case_overlong),
    ("junk_and_nul_bytes", case_junk_and_nul),
    ("interrupt_0x03", case_interrupt),
    ("flood", case_flood),
    ("big_reads", case_big_reads),
    ("binary_reads", case_binary_reads),
    ("nak_resend", case_nak_resend),
    ("nak_forever", case_nak_forever),
    ("disconnect_mid_packet", end_case(disconnect_mid_packet)),
    ("disconnect_before_ack", end_case(disconnect_before_ack)),
    ("half_close", end_case(half_close)),
    ("disconnect_mid_flood", end_case(disconnect_mid_flood)),
    ("kill", end_case(kill_packet)),
]


def run_case(name, fn, server, dump, mode, ctx):
    label = "%s/%s" % (mode, name)
    s = None
    try:
        s = Session(server, dump, mode)
        fn(s, ctx)
        rc = s.proc.poll()
        if rc is not None and rc < 0:
            raise ValueError("server killed by signal %d" % -rc)
        print("PASS %s" % label)
    except Exception as e:  # noqa: BLE001 - every failure is reported
        detail = "%s: %s" % (type(e).__name__, e)
        failures.append(label)
        print("FAIL %s: %s" % (label, detail))
    finally:
        if s is not None:
            s.kill()
            rc = s.proc.returncode
            err = bytes(s.stderr).decode(errors="replace")
            if rc is not None and rc < 0 and rc != -signal.SIGKILL:
                failures.append(label + " (signal)")
                print("FAIL %s: server died of signal %d" % (label, -rc))
            if "ERROR: AddressSanitizer" in err or "runtime error" in err:
                failures.append(label + " (sanitizer)")
                print("FAIL %s: sanitizer report:\n%s" % (label, err[-3000:]))
    sys.stdout.flush()


def main():
    if len(sys.argv) not in (4, 5):
        sys.exit(__doc__)
    server, dump, addr = sys.argv[1], sys.argv[2], int(sys.argv[3], 16)
    modes = sys.argv[4] if len(sys.argv) == 5 else "both"
    modes = ["tcp", "pipe"] if modes == "both" else [modes]
    signal.alarm(600)               # the whole run, whatever happens
    ctx = {"addr": addr}
    for mode in modes:
        for name, fn in CASES:
            run_case(name, fn, server, dump, mode, ctx)
    print("# abuse.py: %d failed" % len(failures))
    sys.exit(min(len(failures), 100))


if __name__ == "__main__":
    main()
