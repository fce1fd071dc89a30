# Sourced by the fixture scripts (make-dump-*.sh, lib-x86_64.sh): the
# parts of a guest initramfs that do not depend on the architecture.
# Uses $moddir (the kernel's lib/modules/KVER), $tree (the initramfs
# tree) and die().

# add_modules MODULE...: each module into $tree/modules, decompressed
# (busybox insmod may not read .ko.xz/.ko.zst) and numbered so the
# guest's glob loads them in the order given; built-in ones are skipped.
add_modules() {
	n=10
	for m in "$@"; do
		src=$(find "$moddir/kernel" \( -name "$m.ko" -o -name "$m.ko.xz" \
			-o -name "$m.ko.zst" -o -name "$m.ko.gz" \) | head -n 1)
		if [ -z "$src" ]; then
			grep -q "/$m\.ko" "$moddir/modules.builtin" 2>/dev/null &&
				continue	# built in: nothing to load
			die "module $m not found under $moddir/kernel"
		fi
		dst=$tree/modules/$n-$m.ko
		case $src in
		*.xz) xz -dc "$src" >"$dst" ;;
		*.zst) zstd -qdc "$src" >"$dst" ;;
		*.gz) gzip -dc "$src" >"$dst" ;;
		*) cp "$src" "$dst" ;;
		esac
		n=$((n + 1))
	done
}

# newc cpio archive holding just /dev/console (char 5:1).  The kernel opens
# it for init's stdio before init can mount devtmpfs; writing the header by
# hand avoids needing root for mknod.  The kernel accepts concatenated
# archives, so it is appended to the real one.
console_cpio() {
	name=dev/console
	# magic ino mode uid gid nlink mtime filesize devmaj devmin rdevmaj rdevmin namesize check
	printf '070701%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X%s\0' \
		1 $((0020600)) 0 0 1 0 0 0 0 5 1 $((${#name} + 1)) 0 "$name"
	# 110-byte header + 12-byte name = 122: pad to a multiple of 4.
	printf '\0\0'
	name=TRAILER!!!
	printf '070701%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X%s\0' \
		0 0 0 0 1 0 0 0 0 0 0 $((${#name} + 1)) 0 "$name"
	printf '\0\0\0\0'	# 110 + 11 = 121: pad to 124 (and beyond is fine)
}

mk_cpio() {	# mk_cpio <out.cpio.gz>: archive $tree + /dev/console
	{
		(cd "$tree" && find . | LC_ALL=C sort | cpio -o -H newc -R 0:0 --quiet)
		console_cpio
	} | gzip -9 >"$1"
}
