#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
#
# mkguest.sh: assemble keel's default guest from Debian packages, without
# installing anything on the host (docs/guest.md):
#
#   OUTDIR/vmlinuz     Debian's cloud kernel (linux-image-*-cloud-amd64)
#   OUTDIR/initrd.gz   gzip'd newc cpio: busybox-static, guest/init, the
#                      kernel's virtio modules (uncompressed), acpid set-up,
#                      and the programs -x names, in /bin
#   OUTDIR/VERSION     what went in: packages, versions, modules
#   OUTDIR/guest.env   shell-sourceable absolute paths for tests and demos
#   OUTDIR/config      the kernel's build configuration, for reference
#
# usage: mkguest.sh -c CACHEDIR -o OUTDIR -s SRCDIR [-k PACKAGE[=VERSION]]
#                   [-x PROGRAM]...
#
# .debs are fetched with `apt-get download` into CACHEDIR and reused while
# their SHA256 matches what apt expects; only a changed package downloads.
# Without -k the kernel is whatever linux-image-cloud-amd64 depends on.

# add_module recurses, so it needs `local`, which dash, bash and busybox
# sh all have even though POSIX does not.
# shellcheck disable=SC3043
set -eu

prog=mkguest
meta=linux-image-cloud-amd64
# The modules /init loads; their dependencies (modinfo depends=) come along.
want_modules="virtio_ring virtio virtio_pci_modern_dev virtio_pci_legacy_dev
	virtio_pci virtio_blk failover net_failover virtio_net virtio_console
	virtio_balloon virtio_rng"
# Power button (ACPI button driver and evdev for acpid): nice to have.
optional_modules="button evdev"

die() {
	echo "$prog: $*" >&2
	exit 1
}

note() {
	echo "$prog: $*"
}

usage() {
	echo "usage: $0 -c CACHEDIR -o OUTDIR -s SRCDIR" \
		"[-k PACKAGE[=VERSION]] [-x PROGRAM]..." >&2
	exit 2
}

cache='' out='' src='' pin= extra=
while getopts c:o:s:k:x: opt; do
	case $opt in
	c) cache=$OPTARG ;;
	o) out=$OPTARG ;;
	s) src=$OPTARG ;;
	k) pin=$OPTARG ;;
	x) extra="$extra $OPTARG" ;;
	*) usage ;;
	esac
done
if [ -z "$cache" ] || [ -z "$out" ] || [ -z "$src" ]; then
	usage
fi
: "${OBJCOPY:=objcopy}"

for tool in apt-get apt-cache dpkg-deb cpio gzip sha256sum "$OBJCOPY"; do
	command -v "$tool" >/dev/null 2>&1 ||
		die "$tool is needed to build the guest (.ci/debian-packages)."
done

mkdir -p "$cache" "$out"
cache=$(cd "$cache" && pwd)
out=$(cd "$out" && pwd)
work=$(mktemp -d "$out/.work.XXXXXX")
trap 'rm -rf "$work"' EXIT
trap 'exit 130' INT TERM

# apt drops to the _apt user for downloads when run as root, and that
# user may not be able to write into a build tree; the files are
# verified against their SHA256 either way.
# $apt_opts is split into words on purpose where it is used.
apt_opts=
[ "$(id -u)" -eq 0 ] && apt_opts="-o APT::Sandbox::User=root"

# The kernel package to use: the pin, or the metapackage's dependency.
resolve_kernel() {
	if [ -n "$pin" ]; then
		echo "$pin"
		return
	fi
	apt-cache show --no-all-versions "$meta" 2>/dev/null |
		sed -n 's/^Depends: //p' | tr ',' '\n' |
		sed -n 's/^ *\(linux-image-[^ ]*\) *(= *\([^)]*\)).*/\1=\2/p' |
		head -n 1
}

# Make sure the .deb for apt spec $1 (name or name=version) is in the
# cache; print its path.
fetch_deb() {
	spec=$1
	mkdir "$work/uris"
	# --print-uris prints nothing for files already in the current
	# directory, so ask from an empty one.
	# shellcheck disable=SC2086
	line=$(cd "$work/uris" &&
	       apt-get download --print-uris $apt_opts "$spec" 2>&1 | tail -n 1)
	rmdir "$work/uris"
	file=$(echo "$line" | awk '{ print $2 }')
	sum=$(echo "$line" | awk '{ print $4 }' | sed -n 's/^SHA256://p')
	case $file in
	*.deb) ;;
	*)
		die "apt cannot download $spec ($line); run apt-get update, or pin another version with KEEL_GUEST_KERNEL."
		;;
	esac
	if [ -n "$sum" ] && [ -f "$cache/$file" ] &&
	   echo "$sum  $cache/$file" | sha256sum -c --status; then
		note "using cached $file" >&2
	else
		note "downloading $spec" >&2
		rm -f "$cache/$file"
		# shellcheck disable=SC2086
		(cd "$cache" && apt-get download -q $apt_opts "$spec" >&2) ||
			die "apt-get download $spec failed."
		[ -f "$cache/$file" ] ||
			die "apt-get download did not produce $file."
	fi
	echo "$cache/$file"
}

deb_field() {
	dpkg-deb -f "$1" "$2"
}

kspec=$(resolve_kernel)
[ -n "$kspec" ] ||
	die "cannot resolve $meta to a kernel package; run apt-get update, or set KEEL_GUEST_KERNEL to a linux-image package."
kdeb=$(fetch_deb "$kspec")
bdeb=$(fetch_deb busybox-static)
kpkg=$(deb_field "$kdeb" Package)
kvers=$(deb_field "$kdeb" Version)
bvers=$(deb_field "$bdeb" Version)

dpkg-deb -x "$kdeb" "$work/kernel"
dpkg-deb -x "$bdeb" "$work/busybox"

# Debian 12 ships modules in /lib/modules; merged-/usr releases in
# /usr/lib/modules.
moddir=
for d in "$work"/kernel/lib/modules/* "$work"/kernel/usr/lib/modules/*; do
	[ -d "$d" ] && moddir=$d && break
done
[ -n "$moddir" ] || die "$kpkg has no /lib/modules directory."
krel=${moddir##*/}
vmlinuz=$work/kernel/boot/vmlinuz-$krel
[ -f "$vmlinuz" ] || die "$kpkg has no /boot/vmlinuz-$krel."
busybox=$work/busybox/bin/busybox
[ -x "$busybox" ] || die "busybox-static has no /bin/busybox."

# Module name (as in /sys/module and modinfo depends=) from a file name.
mod_name() {
	basename "$1" | sed 's/\.ko\(\.[a-z]*\)\{0,1\}$//' | tr - _
}

(cd "$moddir" &&
	find . -name '*.ko' -o -name '*.ko.[gx]z' -o -name '*.ko.zst') |
	sed 's|^\./||' | while read -r f; do
		echo "$(mod_name "$f") $f"
	done >"$work/mod-index"
: >"$work/builtin"
if [ -f "$moddir/modules.builtin" ]; then
	while read -r f; do
		mod_name "$f"
	done <"$moddir/modules.builtin" >"$work/builtin"
fi

root=$work/root
kmods=lib/modules/$krel
mkdir -p "$root/$kmods"
: >"$work/load"
: >"$work/builtin-used"

# Put module $1 and what it depends on into the initramfs, dependencies
# first, appending "name path" lines to the load list. Returns 1 if the
# kernel has no such module at all.
add_module() {
	local name f dst dep
	name=$1
	grep -q "^$name " "$work/load" && return 0
	if grep -qx "$name" "$work/builtin"; then
		grep -qx "$name" "$work/builtin-used" ||
			echo "$name" >>"$work/builtin-used"
		return 0
	fi
	f=$(sed -n "s/^$name //p" "$work/mod-index" | head -n 1)
	[ -n "$f" ] || return 1
	# busybox insmod loads plain ELF only: decompress here.
	dst=${f%.ko*}.ko
	mkdir -p "$root/$kmods/${dst%/*}"
	case $f in
	*.ko.xz) xz -dc "$moddir/$f" >"$root/$kmods/$dst" ;;
	*.ko.zst) zstd -qdc "$moddir/$f" >"$root/$kmods/$dst" ;;
	*.ko.gz) gzip -dc "$moddir/$f" >"$root/$kmods/$dst" ;;
	*) cp "$moddir/$f" "$root/$kmods/$dst" ;;
	esac || die "cannot unpack $f from $kpkg."
	"$OBJCOPY" -O binary --only-section=.modinfo "$root/$kmods/$dst" \
		"$work/modinfo" || die "cannot read the modinfo of $f."
	for dep in $(tr '\0' '\n' <"$work/modinfo" |
		     sed -n 's/^depends=//p' | tr , ' '); do
		add_module "$dep" ||
			die "$name needs $dep, which $kpkg does not have."
	done
	echo "$name $dst" >>"$work/load"
}

for m in $want_modules; do
	add_module "$m" || die "$kpkg has no $m module, built-in or modular."
done
for m in $optional_modules; do
	add_module "$m" || note "$kpkg has no $m module; leaving it out."
done
cp "$work/load" "$root/$kmods/keel-modules"

# busybox and a link for each of its applets.
mkdir -p "$root/bin"
cp "$busybox" "$root/bin/busybox"
"$busybox" --list-full | while read -r applet; do
	case $applet in
	*/*) d=${applet%/*} ;;
	*) d=. ;;
	esac
	[ -e "$root/$applet" ] && continue
	mkdir -p "$root/$d"
	ln -s /bin/busybox "$root/$applet"
done
[ -e "$root/bin/sh" ] || ln -s busybox "$root/bin/sh"
# Static programs of keel's own (guest/dirty.c), named by -x.
for xprog in $extra; do
	[ -f "$xprog" ] || die "no program $xprog (-x)"
	install -m 0755 "$xprog" "$root/bin/${xprog##*/}"
done

mkdir -p "$root/proc" "$root/sys" "$root/tmp" "$root/root" \
	"$root/var/log" "$root/var/run" "$root/etc/acpi/PWRF"
install -m 0755 "$src/init" "$root/init"
# busybox acpid runs /etc/acpi/<action>/<parameter> for an event; the
# power button is action PWRF, parameter 00000080.
install -m 0755 "$src/power-button" "$root/etc/acpi/PWRF/00000080"
echo keel-guest >"$root/etc/hostname"

# Same inputs, same bytes: fixed times, owners and order.
epoch=${SOURCE_DATE_EPOCH:-0}
find "$root" -exec touch -h -d "@$epoch" {} +

# One newc cpio entry (no data) on stdout: $1 name, $2 mode, $3 inode,
# $4/$5 device major/minor.
cpio_entry() {
	local namesize pad
	namesize=$((${#1} + 1))
	printf '070701%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X' \
		"$3" "$2" 0 0 1 "$epoch" 0 0 0 "$4" "$5" "$namesize" 0
	printf '%s\000' "$1"
	pad=$(((4 - (110 + namesize) % 4) % 4))
	while [ $pad -gt 0 ]; do
		printf '\000'
		pad=$((pad - 1))
	done
}

# /dev/console must exist before /init runs (the kernel opens it for
# init's stdio), and device nodes need root to create on disk: write
# those entries by hand as an archive of their own. The kernel unpacks
# concatenated archives in order.
{
	cpio_entry dev $((0040755)) 1 0 0
	cpio_entry dev/console $((0020600)) 2 5 1
	cpio_entry 'TRAILER!!!' 0 0 0 0
	(cd "$root" && find . -mindepth 1 | LC_ALL=C sort |
		cpio -o -H newc -R 0:0 --reproducible --quiet)
} | gzip -9 -n >"$work/initrd.gz"

{
	echo "kernel-package=$kpkg"
	echo "kernel-version=$kvers"
	echo "kernel-release=$krel"
	echo "busybox-version=$bvers"
	echo "modules=$(awk '{ print $1 }' "$work/load" | xargs)"
	echo "builtin=$(xargs <"$work/builtin-used")"
} >"$work/VERSION"

{
	echo "# Generated by guest/mkguest.sh; source it from sh."
	echo "KEEL_GUEST_VMLINUZ='$out/vmlinuz'"
	echo "KEEL_GUEST_INITRD='$out/initrd.gz'"
	echo "KEEL_GUEST_RELEASE='$krel'"
	echo "KEEL_GUEST_PACKAGE='$kpkg=$kvers'"
} >"$work/guest.env"

# Replace the outputs only once everything has been built.
cp "$vmlinuz" "$work/vmlinuz"
cp "$work/kernel/boot/config-$krel" "$work/config"
for f in vmlinuz initrd.gz config VERSION guest.env; do
	mv -f "$work/$f" "$out/$f"
done
note "$kpkg $kvers ($krel), busybox $bvers, $(wc -l <"$work/load") modules"
