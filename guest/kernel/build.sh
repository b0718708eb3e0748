#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
#
# build.sh: build keel's small guest kernel from Debian's own kernel
# source package (linux-source-6.1) with guest/kernel/keel-guest.config
# applied on top of `make tinyconfig` (docs/boot-performance.md says why
# a small kernel is needed on kvm_pvm hosts).
#
# usage: build.sh BUILDDIR
#
#   BUILDDIR/cache/linux-source-6.1_*.deb   downloaded with apt-get download
#   BUILDDIR/src/<version>/                  the unpacked source tree
#   BUILDDIR/obj/                            kbuild output (O=)
#   BUILDDIR/obj/arch/x86/boot/bzImage       the kernel (printed at the end)
#   BUILDDIR/obj/vmlinux                     the same kernel as an ELF file
#
# Idempotent: the .deb is reused while its SHA256 matches what apt
# expects, the tree is unpacked once per source version, and make only
# rebuilds what the configuration or the source changed. Needs apt,
# dpkg-deb, xz, gcc, make, flex, bison, bc and libelf-dev (objtool).
# JOBS (default 2) sets make's parallelism; the build runs under nice.
set -eu

prog=build-kernel
pkg=linux-source-6.1

die() {
	echo "$prog: $*" >&2
	exit 1
}

note() {
	echo "$prog: $*" >&2
}

[ $# -eq 1 ] || {
	echo "usage: $0 BUILDDIR" >&2
	exit 2
}

here=$(cd "$(dirname "$0")" && pwd)
fragment=$here/keel-guest.config
[ -f "$fragment" ] || die "missing $fragment"

for tool in apt-get dpkg-deb tar xz gcc make flex bison bc perl \
	sha256sum; do
	command -v "$tool" >/dev/null 2>&1 ||
		die "$tool is needed to build the guest kernel."
done
# objtool (built for x86-64 even with this config) needs libelf's headers.
echo '#include <gelf.h>' | gcc -E - >/dev/null 2>&1 ||
	die "libelf-dev is needed to build the guest kernel (objtool)."

mkdir -p "$1"
top=$(cd "$1" && pwd)
cache=$top/cache
obj=$top/obj
mkdir -p "$cache" "$obj" "$top/src"

apt_opts=
[ "$(id -u)" -eq 0 ] && apt_opts="-o APT::Sandbox::User=root"

# The .deb: ask apt which file and checksum it would fetch; download only
# if the cached file is missing or differs.
uris=$(mktemp -d "$top/.uris.XXXXXX")
# shellcheck disable=SC2086
line=$(cd "$uris" && apt-get download --print-uris $apt_opts "$pkg" 2>&1 |
       tail -n 1) || true
rmdir "$uris"
file=$(echo "$line" | awk '{ print $2 }')
sum=$(echo "$line" | awk '{ print $4 }' | sed -n 's/^SHA256://p')
case $file in
*.deb) ;;
*) die "apt cannot download $pkg ($line); run apt-get update." ;;
esac
if [ -n "$sum" ] && [ -f "$cache/$file" ] &&
   echo "$sum  $cache/$file" | sha256sum -c --status; then
	note "using cached $file"
else
	note "downloading $pkg"
	rm -f "$cache/$file"
	# shellcheck disable=SC2086
	(cd "$cache" && apt-get download -q $apt_opts "$pkg" >&2) ||
		die "apt-get download $pkg failed."
	[ -f "$cache/$file" ] || die "apt-get download did not produce $file."
fi
version=$(dpkg-deb -f "$cache/$file" Version)

# The tree, unpacked once per version; a half-unpacked tree never has
# the stamp and is redone.
src=$top/src/$version
if [ ! -f "$src/.keel-unpacked" ]; then
	note "unpacking $pkg $version"
	rm -rf "$src" "$top/src/.deb"
	dpkg-deb -x "$cache/$file" "$top/src/.deb"
	tarball=$(find "$top/src/.deb/usr/src" -maxdepth 1 \
		-name 'linux-source-*.tar.xz' | head -n 1)
	[ -n "$tarball" ] || die "no source tarball in $file"
	mkdir -p "$src.tmp"
	tar -C "$src.tmp" --strip-components=1 -xJf "$tarball"
	rm -rf "$top/src/.deb"
	mv "$src.tmp" "$src"
	touch "$src/.keel-unpacked"
	# A different source version invalidates every object file.
	rm -rf "$obj"
	mkdir -p "$obj"
fi

# Source changes, all for kvm_pvm hosts (docs/boot-performance.md). Each
# run derives the edited file again from a saved original, and replaces
# the file only if the result differs, so editing this script (or
# pvm-syscall.c) takes effect and an unchanged one rebuilds nothing.
edit_begin() {
	[ -f "$1.keel-orig" ] || cp -p "$1" "$1.keel-orig"
	cp "$1.keel-orig" "$1.keel-new"
}
edit_end() {
	if cmp -s "$1.keel-new" "$1"; then
		rm -f "$1.keel-new"
	else
		mv "$1.keel-new" "$1"
	fi
}
# Replace the one line that is exactly $2 in file $1 by $3.
edit_line() {
	[ "$(grep -cxF "$2" "$1.keel-new")" -eq 1 ] ||
		die "${1#"$src"/} does not look as expected; update build.sh"
	# ENVIRON, not -v: awk would expand the backslashes in -v values.
	OLD=$2 NEW=$3 awk '$0 == ENVIRON["OLD"] { print ENVIRON["NEW"]; next }
		{ print }' "$1.keel-new" >"$1.keel-tmp"
	mv "$1.keel-tmp" "$1.keel-new"
}

# 1. The emulator cannot execute INT3 (KVM's emulator has no
#    protected-mode INT n), so the boot-time self-test of the INT3
#    handler would stop the guest with a KVM internal error; only the
#    call goes, the handler stays. Nor can it execute FWAIT, which
#    fpu__drop() issues on every exec to discard pending x87 exceptions
#    of the old program; a NOP keeps the exception-table entry valid.
f=$src/arch/x86/kernel/alternative.c
edit_begin "$f"
edit_line "$f" '	int3_selftest();' \
	'	/* int3_selftest(): not on kvm_pvm (keel guest) */'
edit_line "$f" 'static noinline void __init int3_selftest(void)' \
	'static noinline void __init __maybe_unused int3_selftest(void)'
edit_end "$f"
f=$src/arch/x86/kernel/fpu/core.c
edit_begin "$f"
edit_line "$f" '		asm volatile("1: fwait\n"' \
	'		asm volatile("1: nop\n" /* not FWAIT: keel guest */'
edit_end "$f"

# 2. kvm_pvm leaves a user-mode SYSCALL half done; pvm-syscall.c
#    finishes it from the page fault it ends in.
f=$src/arch/x86/mm/fault.c
entry='DEFINE_IDTENTRY_RAW_ERRORCODE(exc_page_fault)'
first='	prefetchw(&current->mm->mmap_lock);'
edit_begin "$f"
[ "$(grep -cxF "$entry" "$f.keel-new")" -eq 1 ] &&
[ "$(grep -cxF "$first" "$f.keel-new")" -eq 1 ] ||
	die "${f#"$src"/} does not look as expected; update build.sh"
HELPER=$here/pvm-syscall.c ENTRY=$entry FIRST=$first awk '
	$0 == ENVIRON["ENTRY"] {
		while ((getline l < ENVIRON["HELPER"]) > 0)
			print l
	}
	{ print }
	$0 == ENVIRON["FIRST"] {
		print "\tif (keel_pvm_syscall(regs, error_code, address))"
		print "\t\treturn;"
	}' "$f.keel-new" >"$f.keel-tmp"
mv "$f.keel-tmp" "$f.keel-new"
edit_end "$f"

# Same inputs, same kernel: no build date, user or host in the image.
export KBUILD_BUILD_TIMESTAMP='1970-01-01 00:00:00 UTC'
export KBUILD_BUILD_USER=keel KBUILD_BUILD_HOST=keel
export KBUILD_BUILD_VERSION=1
jobs=${JOBS:-2}
kmake() {
	nice -n 10 make -s -C "$src" O="$obj" ARCH=x86_64 "$@"
}

# .config = tinyconfig + fragment, resolved by olddefconfig. If the
# result is what the last build used, the old file (and its time stamp)
# is put back so that kbuild has nothing to recheck.
note "configuring ($fragment)"
rm -f "$obj/.config.prev"
[ -f "$obj/.config" ] && cp -p "$obj/.config" "$obj/.config.prev"
kmake tinyconfig >/dev/null
"$src/scripts/kconfig/merge_config.sh" -m -O "$obj" \
	"$obj/.config" "$fragment" >/dev/null
kmake olddefconfig >/dev/null

# Every line of the fragment must have survived olddefconfig: a symbol
# that Kconfig silently dropped (unmet dependency, renamed option) would
# otherwise give a kernel that is not the one documented.
mismatch=$(grep -E \
	'^(CONFIG_[A-Za-z0-9_]+=|# CONFIG_[A-Za-z0-9_]+ is not set)' \
	"$fragment" | while read -r want; do
	case $want in
	"# "*)
		sym=$(echo "$want" | sed 's/^# \(CONFIG_[A-Za-z0-9_]*\).*/\1/')
		got=$(grep "^$sym=" "$obj/.config" || true)
		[ -z "$got" ] || echo "  asked: $want; got: $got"
		;;
	*)
		sym=${want%%=*}
		grep -qxF "$want" "$obj/.config" ||
			echo "  asked: $want; got:" \
				"$(grep -E "^$sym=|^# $sym is not set" \
					"$obj/.config" || echo nothing)"
		;;
	esac
done)
[ -z "$mismatch" ] ||
	die "Kconfig did not take $fragment as written:
$mismatch"

if [ -f "$obj/.config.prev" ] && cmp -s "$obj/.config" "$obj/.config.prev"
then
	mv "$obj/.config.prev" "$obj/.config"
fi
rm -f "$obj/.config.prev"

note "building bzImage with $jobs jobs"
kmake -j"$jobs" bzImage
echo "$obj/arch/x86/boot/bzImage"
