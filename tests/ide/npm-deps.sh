#!/bin/sh
# Install the DAP test's node packages (the debug adapter and the DAP
# test client) into a cache directory outside the tree, once per version
# set, and print the node_modules directory.  Usage: tests/ide/npm-deps.sh
set -eu
# Pinned: a new version is a new directory.  cdt-gdb-adapter loads
# serialport (for its UART view) at start; serialport 13 wants Node 20,
# Debian 12 has Node 18, and 12 has the same API: pin that.
pkgs="cdt-gdb-adapter@1.7.0 @vscode/debugadapter-testsupport@1.68.0"
serialport=12.0.0
key=$(echo "$pkgs serialport@$serialport" | sed 's/[@/ ]/_/g')
dir=${XDG_CACHE_HOME:-$HOME/.cache}/gdbserver-vmcore/npm-$key
if [ ! -f "$dir/ok" ]; then
	command -v npm >/dev/null || {
		echo "npm-deps: no npm (mk/install-deps.sh installs it)" >&2; exit 1; }
	rm -rf "$dir.tmp"
	mkdir -p "$dir.tmp"
	printf '{"private": true, "overrides": {"serialport": "%s"}}\n' \
		"$serialport" >"$dir.tmp/package.json"
	echo "npm-deps: installing $pkgs into $dir" >&2
	# No install scripts: cdt-gdb-adapter's builds a pty module only
	# its launch-in-terminal uses.
	(cd "$dir.tmp" && npm install --ignore-scripts --no-audit --no-fund \
		--loglevel=error $pkgs >&2)
	rm -rf "$dir"
	mv "$dir.tmp" "$dir"
	: >"$dir/ok"
fi
echo "$dir/node_modules"
