# Sourced by the scripts that make cache entries (lib-fixture.sh for the
# dumps, gdb-i386.sh, linux-gdb-scripts.sh): the keys that name the
# entries and the pruning of old ones.  No key hashes this file: it
# changes no entry's contents.  The caller sets $here (tests/real) and
# defines log and die; fixture_dir and prune_kind use $cache.

top=$(cd "$here/../.." && pwd)	# the source tree

# --------------------------------------------------------------------------
# Cache keys.  A fixture's directory is dumps/KIND-kKEY: KIND says what it
# is (kernel release, architecture, variant, FIXTURE_VERSION), KEY is a
# hash of every file that makes it: the fixture scripts and, where the
# fixture has them built in, the project's sources.  A change to any of
# them makes a new fixture; a fixture is never reused for other code.

# What a fixture bakes in when the guest runs our loader: the static
# vmcore-loader (loader/ with its purgatory, and libvmcore/, libkernel/
# (save's dump-level filter) and arch/, which it links statically, built by
# mk/build.mk, the part of the Makefile that builds them, toolchain and
# flags included; VERSION is compiled in), loader/vmcore-mkinitramfs and
# loader/capture-init.sh.
LOADER_SOURCES="mk/build.mk VERSION libvmcore libkernel arch loader"

# fixture_key PATH...: 12 hex digits of a SHA-256 over every regular file
# under the PATHs (files or directories relative to $top; dot files and
# editor backups left out), names and contents, in sorted order.  Needs no
# git: a tarball of the sources gives the same key as a checkout.
fixture_key() {
	for p in "$@"; do
		[ -e "$top/$p" ] || die "fixture_key: no $p in $top"
	done
	(cd "$top" && find "$@" -type f ! -name '.*' ! -name '*~' -print |
		LC_ALL=C sort | xargs -d '\n' sha256sum) | sha256sum | cut -c1-12
}

# fixture_dir KIND PATH...: $dumpkind=KIND and $dumpdir, the fixture's
# directory for the files under the PATHs (see fixture_key).
fixture_dir() {
	dumpkind=$1
	shift
	dumpdir=$cache/dumps/$dumpkind-k$(fixture_key "$@")
}

# The last failed build's console log of this kind of fixture (any key).
failed_log() { echo "$cache/dumps/$dumpkind.failed-$1"; }

# --------------------------------------------------------------------------
# Pruning.  Each script that hands out a complete entry (prints its path)
# marks it used; when a new entry is made, the entries it replaces (the
# same kind for other keys, or from before keys) go, except the one used
# last, so that two checkouts of different code (a branch and main) take
# turns without rebuilding, and except those used in the last
# PRUNE_HOURS, so that no run loses an entry it is reading.

PRUNE_HOURS=6

mark_used() { touch "$1/used" 2>/dev/null || :; }	# mark_used DIR

# prune_others KEEP DIR...: of the complete entries DIR... (with a done
# stamp) other than KEEP, remove those unused for PRUNE_HOURS but the one
# used last.
prune_others() {
	keep=$1
	shift
	now=$(date +%s)
	for d in "$@"; do
		[ -e "$d/done" ] && [ "$d" != "$keep" ] || continue
		echo "$(stat -c %Y "$d/done" "$d/used" 2>/dev/null | sort -n | tail -n 1) $d"
	done | sort -rn | tail -n +2 | while read -r t d; do
		[ $((now - t)) -ge $((PRUNE_HOURS * 3600)) ] || continue
		log "removing $d (made for other sources; unused for $(((now - t) / 3600)) h)"
		rm -rf "$d"
	done
}

# prune_kind: prune_others for $dumpdir: the dumps of $dumpkind for other
# keys, and dumps/KIND (the layout before keys).
prune_kind() {
	prune_others "$dumpdir" "$cache/dumps/$dumpkind"-k???????????? \
		"$cache/dumps/$dumpkind"
}
