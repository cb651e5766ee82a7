#!/usr/bin/env bash
# Builds the Arch package with makepkg from a source tarball of this working tree and checks it:
# every file under /usr (no /usr/local; XDG autostart entries aside, which only /etc/xdg has),
# units, bus policy, activation file, polkit actions, man pages, completions and the license where
# Arch expects them, each unit's ExecStart naming a binary of the package, and the package holding
# exactly the files INSTALL.sh installs from the same build.
#
#   tests/package/test-arch-package.sh VERSION [DEPS_PREFIX]
#
# VERSION is the CMake project version (the PKGBUILD's pkgver must be the same). DEPS_PREFIX is
# scripts/bootstrap's prefix of libraries built from source (Debian 12's are too old): a copy is
# handed to the PKGBUILD through SCX_GAMER_PREFIX, the one way it takes libraries from outside
# the system. makepkg refuses to run as root, so as root the package is built by nobody.
#
# SCX_GAMER_TEST_KEEP=1 keeps the work directory (/tmp/scx_gamer-package.*).
# Prints TAP; exits 77 (skipped) when makepkg is not installed, 1 when a check failed.

# SPDX-License-Identifier: GPL-2.0-only
set -uo pipefail

REPO=$(cd "$(dirname "$0")/../.." && pwd)
VERSION=${1:?usage: $0 VERSION [DEPS_PREFIX]}
DEPS_PREFIX=${2:-}

if ! command -v makepkg >/dev/null; then
    echo "1..0 # SKIP makepkg is not installed (Debian package makepkg; scripts/bootstrap installs it)"
    exit 77
fi

# shellcheck source-path=SCRIPTDIR source=../lib/tap.sh
source "$REPO/tests/lib/tap.sh"

# makepkg needs bsdtar (sources, the package itself) and fakeroot (package()).
for tool in bsdtar fakeroot git; do
    command -v "$tool" >/dev/null || bail "$tool is missing (scripts/bootstrap installs it)"
done

WORK=$(mktemp -d /tmp/scx_gamer-package.XXXXXX)
# SCX_GAMER_TEST_KEEP=1 keeps the package, the build and the logs to look at afterwards.
if [ "${SCX_GAMER_TEST_KEEP:-0}" = 1 ]; then
    echo "# keeping $WORK"
else
    trap 'rm -rf "$WORK"' EXIT
fi
chmod 0755 "$WORK"
PKG=$WORK/pkg       # makepkg's directory: PKGBUILD, tarball, src/, the package
mkdir -p "$PKG" "$WORK/home"

if [ "$(id -u)" -eq 0 ]; then
    command -v runuser >/dev/null || bail "runuser is missing (util-linux): makepkg refuses root"
    BUILDER=nobody
    as_builder() { runuser -u "$BUILDER" -- "$@"; }
else
    BUILDER=$(id -un)
    as_builder() { "$@"; }
fi

# Debian's makepkg wants a pacman binary to exist even with --nodeps, which never runs it.
makepkg_env=(env -i PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
    HOME="$WORK/home" LANG=C.UTF-8 PACMAN=true)

# The libraries from bootstrap's prefix, copied where the builder can read them (root's home is
# private) with their pkg-config files pointing at the copy.
if [ -n "$DEPS_PREFIX" ]; then
    [ -d "$DEPS_PREFIX" ] || bail "DEPS_PREFIX $DEPS_PREFIX is not a directory"
    cp -a "$DEPS_PREFIX" "$WORK/deps"
    grep -rIl --null -F "$DEPS_PREFIX" "$WORK/deps" | xargs -0r sed -i "s|$DEPS_PREFIX|$WORK/deps|g"
    chmod -R a+rX "$WORK/deps"
    makepkg_env+=(SCX_GAMER_PREFIX="$WORK/deps")
fi

# ---- the inputs: PKGBUILD, .SRCINFO, the tarball ----

cp "$REPO/packaging/arch/PKGBUILD" "$PKG/"
tarball=$("$REPO/packaging/arch/make-source-tarball" "$PKG") || bail "make-source-tarball failed"
same "make-source-tarball names the tarball scx_gamer-$VERSION.tar.gz" \
    "$PKG/scx_gamer-$VERSION.tar.gz" "$tarball"
[ "$(id -u)" -ne 0 ] || chown -R "$BUILDER": "$PKG" "$WORK/home"

srcinfo=$(cd "$PKG" && as_builder "${makepkg_env[@]}" makepkg --printsrcinfo 2>&1)
same ".SRCINFO is what makepkg --printsrcinfo prints for the PKGBUILD" \
    "$(cat "$REPO/packaging/arch/.SRCINFO")" "$srcinfo"
same "the PKGBUILD's pkgver is the project version" "pkgver = $VERSION" \
    "$(sed -n 's/^\tpkgver = /pkgver = /p' <<<"$srcinfo")"

# ---- makepkg ----

start=$(date +%s)
# At the lowest priority: ctest runs this beside the VM tests (tests/package/CMakeLists.txt),
# whose one TCG thread must keep its core.
(cd "$PKG" && as_builder nice -n 19 "${makepkg_env[@]}" makepkg --nodeps --noconfirm \
    --noprogressbar --nocolor) >"$WORK/makepkg.log" 2>&1
status=$?
echo "# makepkg as $BUILDER took $(($(date +%s) - start)) s (a full build)"
if [ $status -ne 0 ]; then
    not_ok "makepkg --nodeps builds the package" "$(tail -n 40 "$WORK/makepkg.log")"
    bail "no package to check"
fi
package=$(find "$PKG" -maxdepth 1 -name "scx_gamer-$VERSION-*.pkg.tar*" ! -name '*-debug-*' | head -n 1)
if [ -n "$package" ]; then
    ok "makepkg --nodeps builds ${package##*/}"
else
    not_ok "makepkg --nodeps builds the package" "$(ls -l "$PKG"; tail -n 20 "$WORK/makepkg.log")"
    bail "no package to check"
fi

pkginfo=$(bsdtar -xOf "$package" .PKGINFO)
for field in "pkgname = scx_gamer" "pkgver = $VERSION-1" "license = GPL-2.0-only"; do
    if grep -qxF "$field" <<<"$pkginfo"; then ok ".PKGINFO: $field"; else not_ok ".PKGINFO: $field" "$pkginfo"; fi
done

# The payload: every entry but makepkg's metadata (.PKGINFO, .MTREE, .BUILDINFO), files only.
files=$(bsdtar -tf "$package" | grep -v '^\.' | grep -v '/$' | LC_ALL=C sort)
[ -n "$files" ] || bail "the package holds no files"
mkdir "$WORK/extract"
bsdtar -xpf "$package" -C "$WORK/extract" || bail "cannot extract $package"

# ---- where the files are ----

outside=$(grep -Ev '^usr/|^etc/xdg/autostart/[^/]+\.desktop$' <<<"$files")
same "every file is under /usr (XDG autostart entries aside)" "" "$outside"
same "nothing is under /usr/local" "" "$(grep '^usr/local/' <<<"$files")"

expect() { # DESCRIPTION PATH
    if grep -qxF "$2" <<<"$files"; then ok "$1: /$2"; else not_ok "$1: /$2" "not in the package"; fi
}
expect "the daemon" usr/bin/scx_gamer
expect "the client" usr/bin/scxgamerctl
for unit in "$REPO"/systemd/*.service.in; do
    name=$(basename "$unit" .in)
    if grep -Eq '^WantedBy=.*(graphical-session|default)\.target' "$unit"; then
        expect "the user unit" "usr/lib/systemd/user/$name"
    else
        expect "the system unit" "usr/lib/systemd/system/$name"
    fi
done
expect "the D-Bus system bus policy" usr/share/dbus-1/system.d/org.cachyos.ScxGamer.conf
expect "the D-Bus activation file" usr/share/dbus-1/system-services/org.cachyos.ScxGamer.service
expect "the D-Bus interface" usr/share/dbus-1/interfaces/org.cachyos.ScxGamer.xml
expect "the polkit actions" usr/share/polkit-1/actions/org.cachyos.scxgamer.policy
for page in "$REPO"/docs/man/*.scd; do
    name=$(basename "$page" .scd) # NAME.SECTION
    expect "the man page (gzipped, as makepkg's zipman does)" "usr/share/man/man${name##*.}/$name.gz"
done
expect "bash completion" usr/share/bash-completion/completions/scxgamerctl
expect "zsh completion" usr/share/zsh/site-functions/_scxgamerctl
expect "fish completion" usr/share/fish/vendor_completions.d/scxgamerctl.fish
expect "the license" usr/share/licenses/scx_gamer/LICENSE
if cmp -s "$REPO/LICENSE" "$WORK/extract/usr/share/licenses/scx_gamer/LICENSE" &&
    grep -q "GNU GENERAL PUBLIC LICENSE" "$REPO/LICENSE" && grep -q "Version 2, June 1991" "$REPO/LICENSE"; then
    ok "  ... it is the tree's GPL-2.0 LICENSE"
else
    not_ok "  ... it is the tree's GPL-2.0 LICENSE"
fi

# ---- units name binaries of the package ----

units=$(grep -E '^usr/lib/systemd/(system|user)/[^/]+\.service$' <<<"$files")
for unit in $units; do
    execs=$(sed -n 's/^ExecStart=//p' "$WORK/extract/$unit")
    if [ -z "$execs" ]; then
        not_ok "/$unit has an ExecStart"
        continue
    fi
    while read -r command _; do
        command=${command#[-@:+!]} command=${command#[-@:+!]}
        if [[ $command == /* ]] && grep -qxF "${command#/}" <<<"$files" &&
            [ -x "$WORK/extract$command" ]; then
            ok "/$unit: ExecStart runs $command, an executable of the package"
        else
            not_ok "/$unit: ExecStart runs $command, an executable of the package"
        fi
    done <<<"$execs"
done
activation=$WORK/extract/usr/share/dbus-1/system-services/org.cachyos.ScxGamer.service
wanted=$(sed -n 's/^SystemdService=//p' "$activation" 2>/dev/null)
if [ -n "$wanted" ] && grep -qx "Alias=$wanted" "$WORK/extract/usr/lib/systemd/system/scx_gamer.service"; then
    ok "the activation file asks for $wanted, scx_gamer.service's alias"
else
    not_ok "the activation file asks for scx_gamer.service's alias" "SystemdService=$wanted"
fi
for bin in scx_gamer scxgamerctl; do
    if out=$("$WORK/extract/usr/bin/$bin" --help 2>&1); then
        ok "/usr/bin/$bin --help runs"
    else
        not_ok "/usr/bin/$bin --help runs" "$out"
    fi
done
# Nothing of the build machine leaks into the package's text files (a prefix, a build path).
leaks=$(cd "$WORK/extract" && while read -r path; do
    grep -Il -e "$WORK" ${DEPS_PREFIX:+-e "$DEPS_PREFIX"} "$path"
done <<<"$files")
same "no text file names the build directory or the libraries' prefix" "" "$leaks"

# ---- the same files as INSTALL.sh ----

# INSTALL.sh from this tree into an empty system tree, from the build makepkg made (src/build).
mkdir -p "$WORK/root/etc/default"
if out=$("$REPO/INSTALL.sh" --root "$WORK/root" --yes --build-dir "$PKG/src/build" 2>&1); then
    ok "INSTALL.sh --root installs from makepkg's build"
else
    not_ok "INSTALL.sh --root installs from makepkg's build" "$out"
fi
installed=$(grep -v '^#' "$WORK/root/var/lib/scx_gamer/installed-files" 2>/dev/null | sed 's|^/||' |
    LC_ALL=C sort)
# makepkg gzips man pages (zipman); otherwise the lists must be the same.
packaged=$(sed -E 's|^(usr/share/man/.*)\.gz$|\1|' <<<"$files" | LC_ALL=C sort)
same "the package holds exactly the files INSTALL.sh installs" "$installed" "$packaged"
differ=
while read -r path; do
    if [ -z "$path" ] || [ ! -f "$WORK/root/$path" ]; then
        continue
    fi
    if [[ $path == usr/share/man/* ]]; then
        zcat "$WORK/extract/$path.gz" | cmp -s - "$WORK/root/$path" || differ+="/$path "
    elif [ "$(head -c 4 "$WORK/root/$path" | od -An -c | tr -d ' ')" = '177ELF' ]; then
        continue # makepkg strips binaries
    else
        cmp -s "$WORK/extract/$path" "$WORK/root/$path" || differ+="/$path "
    fi
done <<<"$installed"
same "  ... with the same contents (binaries aside: makepkg strips them)" "" "$differ"

tap_finish
