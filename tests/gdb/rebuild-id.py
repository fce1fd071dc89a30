# Copy an ELF file with another GNU build-id (every byte of the
# .note.gnu.build-id descriptor inverted), for the refusal test of
# tests/gdb/real-modules.py.  Usage: rebuild-id.py IN OUT
import struct
import sys

data = bytearray(open(sys.argv[1], "rb").read())
assert data[:4] == b"\x7fELF", "not ELF"
is64, end = data[4] == 2, "<" if data[5] == 1 else ">"
if is64:
    shoff, = struct.unpack_from(end + "Q", data, 0x28)
    shentsize, shnum, shstrndx = struct.unpack_from(end + "HHH", data, 0x3a)
    fmt = end + "IIQQQQIIQQ"
else:
    shoff, = struct.unpack_from(end + "I", data, 0x20)
    shentsize, shnum, shstrndx = struct.unpack_from(end + "HHH", data, 0x2e)
    fmt = end + "IIIIIIIIII"
shdrs = [struct.unpack_from(fmt, data, shoff + i * shentsize)
         for i in range(shnum)]
strtab_off = shdrs[shstrndx][4]
done = False
for sh in shdrs:
    name = bytes(data[strtab_off + sh[0]:]).split(b"\0", 1)[0]
    if name == b".note.gnu.build-id":
        off = sh[4]
        namesz, descsz, _ = struct.unpack_from(end + "III", data, off)
        desc = off + 12 + (namesz + 3) // 4 * 4
        for i in range(desc, desc + descsz):
            data[i] ^= 0xff
        done = True
assert done, "no .note.gnu.build-id section"
open(sys.argv[2], "wb").write(data)
