#!/bin/sh
# make check-deb: the Debian packages.  make deb's build (in a copy of the
# tree) into a temp dir; lintian with no errors; each package's files,
# conffiles and a few contents; systemd-analyze verify of the unit as
# installed; then install, the kernel hooks, reinstall, remove and purge
# with dpkg in a throwaway copy of a cached Debian 12 root
# (tests/deb/bookworm-root.sh; chroot, no mounts), which must end as it
# began.  Nothing on this machine outside the temp dir changes.
# Usage: tests/deb/run.sh BUILD_DIR
set -eu
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)
. "$here/../lib-check.sh"
sudo=""
[ "$(id -u)" = 0 ] || sudo=sudo
r=""	# the root copy, removed with $tmp (as root when it needs to be)
trap '[ -z "$r" ] || $sudo rm -rf "$r"; cleanup' EXIT
trap 'exit 130' INT TERM
t0=$(date +%s)
ver=$(cat "$top/VERSION")
arch=$(dpkg --print-architecture)

echo "== make deb"
# What dpkg-buildpackage run in the tree would leave: debian/ build
# directories and files, packages beside the tree.  (Other parts of make
# check write elsewhere in it at the same time.)
tree() {
	(cd "$top" && find debian | LC_ALL=C sort)
	ls "$top/.." | grep -E '^(gdbserver-vmcore|vmcore-loader)[-_].*\.(deb|changes|buildinfo)$' || :
}
tree >"$tmp/tree.before"
if (cd "$top" && make -s --no-print-directory deb DEB_DIR="$tmp/deb") >"$tmp/deb.log" 2>&1; then
	ok "make deb ($(($(date +%s) - t0)) s)"
else
	bad "make deb" "$(tail -n 20 "$tmp/deb.log")"
	echo "deb tests: $pass passed, $fail failed"
	exit 1
fi
srv=$tmp/deb/gdbserver-vmcore_${ver}_$arch.deb
ldr=$tmp/deb/vmcore-loader_${ver}_$arch.deb
[ -e "$srv" ] && [ -e "$ldr" ] && ok "both packages built ($(cd "$tmp/deb" && ls *.deb | tr '\n' ' '))" ||
	bad "packages: $(ls "$tmp/deb")"
tree >"$tmp/tree.after"
diff "$tmp/tree.before" "$tmp/tree.after" >"$tmp/d" &&
	ok "make deb leaves the source tree as it was" || bad "make deb changed the tree" "$(cat "$tmp/d")"

echo "== lintian"
t=$(date +%s)
lintian --tag-display-limit 0 -I "$srv" "$ldr" >"$tmp/lintian" 2>&1 || :
if grep -q '^E: ' "$tmp/lintian"; then
	bad "lintian: errors" "$(grep '^E: ' "$tmp/lintian")"
else
	ok "lintian: no errors ($(grep -c '^W: ' "$tmp/lintian") warnings, $(grep -c '^I: ' "$tmp/lintian") infos; $(($(date +%s) - t)) s)"
fi
grep '^[WI]: ' "$tmp/lintian" | sed 's/^/     /' || :

echo "== contents"
# files KIND DEB: the package's files (not directories), sorted.
files() { dpkg-deb -c "$1" | awk '$1 !~ /^d/ { sub(/^\.\//, "", $6); print "/" $6 }' | LC_ALL=C sort; }
want_files() {
	LC_ALL=C sort <<EOT
/usr/bin/gdbserver-vmcore
/usr/bin/elfconv
/usr/share/gdbserver-vmcore/vmcore-gdb.py
/usr/share/gdbserver-vmcore/vmcore-orc.py
/usr/share/gdbserver-vmcore/vmcore-arm64.py
/etc/gdb/gdbinit.d/gdbserver-vmcore.py
/usr/share/man/man1/gdbserver-vmcore.1.gz
/usr/share/man/man1/elfconv.1.gz
/usr/share/doc/gdbserver-vmcore/changelog.gz
/usr/share/doc/gdbserver-vmcore/copyright
EOT
}
want_loader() {
	LC_ALL=C sort <<EOT
/usr/sbin/vmcore-loader
/usr/sbin/vmcore-mkinitramfs
/usr/lib/gdbserver-vmcore/vmcore-loader.static
/usr/lib/gdbserver-vmcore/capture-init.sh
/lib/systemd/system/vmcore-loader.service
/etc/kernel/postinst.d/vmcore-loader
/etc/kernel/postrm.d/vmcore-loader
/etc/default/vmcore-loader
/usr/share/man/man1/vmcore-loader.1.gz
/usr/share/man/man1/vmcore-mkinitramfs.1.gz
/usr/share/doc/vmcore-loader/changelog.gz
/usr/share/doc/vmcore-loader/copyright
/usr/share/lintian/overrides/vmcore-loader
EOT
}
files "$srv" >"$tmp/srv.files"
want_files >"$tmp/srv.want"
diff "$tmp/srv.want" "$tmp/srv.files" >"$tmp/d" && ok "gdbserver-vmcore: its files" || bad "gdbserver-vmcore files" "$(cat "$tmp/d")"
files "$ldr" >"$tmp/ldr.files"
want_loader >"$tmp/ldr.want"
diff "$tmp/ldr.want" "$tmp/ldr.files" >"$tmp/d" && ok "vmcore-loader: its files" || bad "vmcore-loader files" "$(cat "$tmp/d")"
conffiles() { dpkg-deb --ctrl-tarfile "$1" | tar -xOf - ./conffiles 2>/dev/null | LC_ALL=C sort | tr '\n' ' '; }
[ "$(conffiles "$srv")" = "/etc/gdb/gdbinit.d/gdbserver-vmcore.py " ] &&
	ok "gdbserver-vmcore: conffile the gdbinit loader" || bad "gdbserver-vmcore conffiles: $(conffiles "$srv")"
[ "$(conffiles "$ldr")" = "/etc/default/vmcore-loader /etc/kernel/postinst.d/vmcore-loader /etc/kernel/postrm.d/vmcore-loader " ] &&
	ok "vmcore-loader: conffiles /etc/default/vmcore-loader and the kernel hooks" || bad "vmcore-loader conffiles: $(conffiles "$ldr")"
x=$tmp/x
mkdir "$x"
dpkg-deb -x "$srv" "$x"
dpkg-deb -x "$ldr" "$x"
cmp -s "$x/etc/default/vmcore-loader" "$top/dist/vmcore-loader.default" &&
	ok "/etc/default/vmcore-loader is dist/vmcore-loader.default" || bad "/etc/default/vmcore-loader differs"
grep -qx 'ExecStart=/usr/sbin/vmcore-loader load --if-reserved' "$x/lib/systemd/system/vmcore-loader.service" &&
	grep -qx 'ExecStartPre=-/usr/sbin/vmcore-mkinitramfs --if-missing --kver %v -o /boot/vmcore-capture-%v.img' \
		"$x/lib/systemd/system/vmcore-loader.service" &&
	grep -qx 'ExecStop=/usr/sbin/vmcore-loader unload --if-loaded' "$x/lib/systemd/system/vmcore-loader.service" &&
	! grep -q '@SBINDIR@' "$x/etc/kernel/postinst.d/vmcore-loader" &&
	grep -q '^\[ -x /usr/sbin/vmcore-mkinitramfs \]' "$x/etc/kernel/postinst.d/vmcore-loader" &&
	ok "the unit and hooks name /usr/sbin" || bad "paths in the unit or hooks" "$(grep -h 'sbin' "$x/lib/systemd/system/vmcore-loader.service" "$x/etc/kernel/postinst.d/vmcore-loader")"
! readelf -lW "$x/usr/lib/gdbserver-vmcore/vmcore-loader.static" | grep -q interpreter &&
	readelf -lW "$x/usr/sbin/vmcore-loader" | grep -q interpreter &&
	ok "the capture image's loader is static, /usr/sbin's dynamic" || bad "static/dynamic loaders"
grep -q "/usr/share/gdbserver-vmcore" "$x/etc/gdb/gdbinit.d/gdbserver-vmcore.py" &&
	ok "the gdbinit loader points at /usr/share/gdbserver-vmcore" || bad "gdbinit loader path"

echo "== systemd-analyze verify"
# The unit in the extracted packages (its ExecStart must exist there), with
# the host's units for the targets it refers to; --man=no: the man page
# is not installed on this machine.  Any message counts as a failure.
mkdir -p "$x/lib/systemd"
cp -an /lib/systemd/system "$x/lib/systemd/" 2>/dev/null || :
verify() { systemd-analyze verify --man=no --root="$1" /lib/systemd/system/vmcore-loader.service >"$tmp/v" 2>&1; }
verify "$x" && [ ! -s "$tmp/v" ] && ok "systemd-analyze verify accepts vmcore-loader.service" ||
	bad "systemd-analyze verify" "$(cat "$tmp/v")"
# The check can fail: a broken copy of the unit is refused.
y=$tmp/y
mkdir -p "$y/lib/systemd" "$y/usr/sbin"
cp -a "$x/lib/systemd/system" "$y/lib/systemd/"
cp -a "$x/usr/sbin/vmcore-loader" "$y/usr/sbin/"
sed -i 's/^RemainAfterExit=yes/RemainAfterExit=maybe/' "$y/lib/systemd/system/vmcore-loader.service"
! { verify "$y" && [ ! -s "$tmp/v" ]; } && grep -q 'RemainAfterExit\|boolean' "$tmp/v" &&
	ok "systemd-analyze verify refuses a broken copy (control)" || bad "verify control" "$(cat "$tmp/v")"

echo "== install, kernel hooks, remove, purge in a Debian 12 root"
t=$(date +%s)
if ! base=$("$here/bookworm-root.sh"); then
	bad "tests/deb/bookworm-root.sh failed"
	echo "deb tests: $pass passed, $fail failed"
	exit 1
fi
r=$tmp/root
$sudo cp -a "$base" "$r"
# (make exports VMCORE_LOADER_CONFIG=/dev/null for the tests: not here,
# where the installed file is what is tested.)
in_root() { $sudo env -u VMCORE_LOADER_CONFIG chroot "$r" "$@"; }
# snapshot: every path but dpkg's own database and logs, with type, mode,
# size (not of directories: ext4 never shrinks them) and content hash
# (symlinks: their target).
snapshot() {
	$sudo sh -c 'cd "$1" && find . -xdev \( -path ./var/lib/dpkg -o -path ./var/log -o -path ./var/cache/debconf -o -path ./tmp \) -prune -o \
		-type d -printf "%p d %m\n" -o -printf "%p %y %m %s %l\n"' sh "$r" | LC_ALL=C sort >"$1.list"
	$sudo sh -c 'cd "$1" && find . -xdev \( -path ./var/lib/dpkg -o -path ./var/log -o -path ./var/cache/debconf -o -path ./tmp \) -prune -o -type f -print0 |
		LC_ALL=C sort -z | xargs -0 sha256sum' sh "$r" >"$1.sums"
}
snapshot "$tmp/before"
$sudo cp "$srv" "$ldr" "$r/tmp/"
kv=6.1.0-99-test
if in_root dpkg -i "/tmp/${srv##*/}" "/tmp/${ldr##*/}" >"$tmp/dpkg" 2>&1; then
	ok "dpkg -i both packages"
else
	bad "dpkg -i" "$(cat "$tmp/dpkg")"
fi
st() { in_root dpkg-query -W -f='${Status}' "$1" 2>/dev/null || echo "not-installed"; }
[ "$(st vmcore-loader)" = "install ok installed" ] && [ "$(st gdbserver-vmcore)" = "install ok installed" ] &&
	ok "both installed" || bad "status: $(st vmcore-loader) / $(st gdbserver-vmcore)"
in_root /usr/sbin/vmcore-loader config >"$tmp/cfg" 2>&1 && grep -q "^FORMAT='kdump'" "$tmp/cfg" &&
	ok "vmcore-loader reads the installed /etc/default/vmcore-loader" || bad "config" "$(cat "$tmp/cfg")"
in_root /usr/bin/gdbserver-vmcore --version >"$tmp/v" 2>&1 && ok "gdbserver-vmcore runs in the root: $(head -n 1 "$tmp/v")" ||
	bad "gdbserver-vmcore --version" "$(cat "$tmp/v")"
[ -L "$r/etc/systemd/system/multi-user.target.wants/vmcore-loader.service" ] &&
	ok "vmcore-loader.service enabled (multi-user.target.wants)" || bad "service not enabled"

# The kernel hook: a (fake) kernel installed, a configuration naming the
# dump disk; then the package's own postinst (reinstall) makes the image.
$sudo sed -i 's|^DUMP_DEVICE=.*|DUMP_DEVICE=LABEL=crash|' "$r/etc/default/vmcore-loader"
had_modules=0
[ ! -d "$r/lib/modules" ] || had_modules=1
$sudo mkdir -p "$r/lib/modules/$kv"
$sudo sh -c 'head -c 65536 /dev/zero >"$1"' sh "$r/boot/vmlinuz-$kv"
img=$r/boot/vmcore-capture-$kv.img
if in_root env DEB_MAINT_PARAMS=configure /etc/kernel/postinst.d/vmcore-loader "$kv" "/boot/vmlinuz-$kv" >"$tmp/hook" 2>&1 &&
	[ -s "$img" ] && gzip -dc "$img" | cpio -it --quiet 2>/dev/null | grep -qx init; then
	ok "postinst.d hook builds /boot/vmcore-capture-$kv.img ($(stat -c %s "$img") bytes)"
else
	bad "postinst.d hook" "$(cat "$tmp/hook")"
fi
gzip -dc "$img" 2>/dev/null | cpio -i --quiet --to-stdout etc/vmcore-capture.conf 2>/dev/null | grep -qx 'DEVICE=LABEL=crash' &&
	ok "the image has the configuration's DUMP_DEVICE" || bad "image settings"
in_root env DEB_MAINT_PARAMS=remove /etc/kernel/postrm.d/vmcore-loader "$kv" "/boot/vmlinuz-$kv" >"$tmp/hook" 2>&1
[ ! -e "$img" ] && ok "postrm.d hook removes it" || bad "postrm.d hook" "$(cat "$tmp/hook")"
in_root env DEB_MAINT_PARAMS=abort-upgrade /etc/kernel/postinst.d/vmcore-loader "$kv" "/boot/vmlinuz-$kv" >/dev/null 2>&1
[ ! -e "$img" ] && ok "postinst.d hook does nothing on abort-upgrade" || bad "hook ran on abort-upgrade"
# The unit's ExecStartPre, as systemd runs it (%v: the kernel release).
pre=$(sed -n 's/^ExecStartPre=-//p' "$r/lib/systemd/system/vmcore-loader.service" | sed "s/%v/$kv/g")
# shellcheck disable=SC2086 # the command line, split as systemd does
in_root $pre >"$tmp/pre" 2>&1 && [ -s "$img" ] &&
	ok "the unit's ExecStartPre builds a missing capture image" || bad "ExecStartPre" "$(cat "$tmp/pre")"
$sudo rm -f "$img"
in_root dpkg -i "/tmp/${ldr##*/}" >"$tmp/dpkg" 2>&1 && [ -s "$img" ] &&
	ok "package postinst (reinstall) builds images for installed kernels" || bad "postinst image" "$(cat "$tmp/dpkg")"
# A failing build (no dump disk) is reported, the kernel's install goes on.
$sudo sed -i 's|^DUMP_DEVICE=.*|DUMP_DEVICE=|' "$r/etc/default/vmcore-loader"
in_root env DEB_MAINT_PARAMS=configure /etc/kernel/postinst.d/vmcore-loader "$kv" "/boot/vmlinuz-$kv" >"$tmp/hook" 2>&1 &&
	grep -q "could not build /boot/vmcore-capture-$kv.img" "$tmp/hook" &&
	ok "a hook that cannot build says so and exits 0" || bad "hook failure handling" "$(cat "$tmp/hook")"

if in_root dpkg -r vmcore-loader gdbserver-vmcore >"$tmp/dpkg" 2>&1; then
	ok "dpkg -r both"
else
	bad "dpkg -r" "$(cat "$tmp/dpkg")"
fi
[ "$(st vmcore-loader)" = "deinstall ok config-files" ] && [ ! -e "$r/usr/sbin/vmcore-loader" ] &&
	[ -e "$r/etc/default/vmcore-loader" ] && [ ! -e "$r/lib/systemd/system/vmcore-loader.service" ] &&
	ok "removed: programs and unit gone, conffiles kept" || bad "after remove: $(st vmcore-loader)"
# The hooks stay (conffiles) without the package: they must do nothing.
in_root env DEB_MAINT_PARAMS=configure /etc/kernel/postinst.d/vmcore-loader "$kv" "/boot/vmlinuz-$kv" >"$tmp/hook" 2>&1 &&
	[ ! -s "$tmp/hook" ] && ok "the hook left after remove does nothing" || bad "hook after remove" "$(cat "$tmp/hook")"
if in_root dpkg -P vmcore-loader gdbserver-vmcore >"$tmp/dpkg" 2>&1; then
	ok "dpkg -P both"
else
	bad "dpkg -P" "$(cat "$tmp/dpkg")"
fi
[ "$(st vmcore-loader)" != "deinstall ok config-files" ] && [ ! -e "$r/etc/default/vmcore-loader" ] &&
	[ ! -e "$img" ] && ok "purged: conffiles and capture images gone" || bad "after purge: $(st vmcore-loader), $(ls "$r/boot")"
$sudo rm -rf "$r/boot/vmlinuz-$kv" "$r/lib/modules/$kv" "$r/tmp/${srv##*/}" "$r/tmp/${ldr##*/}"
[ $had_modules = 1 ] || $sudo rmdir "$r/lib/modules"
snapshot "$tmp/after"
if diff "$tmp/before.list" "$tmp/after.list" >"$tmp/d" && diff "$tmp/before.sums" "$tmp/after.sums" >>"$tmp/d"; then
	ok "the root is as it was before the install ($(wc -l <"$tmp/before.list") paths; $(($(date +%s) - t)) s)"
else
	bad "the root changed" "$(cat "$tmp/d")"
fi

echo "deb tests: $pass passed, $fail failed ($(($(date +%s) - t0)) s)"
[ "$fail" = 0 ]
