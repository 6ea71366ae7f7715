#!/usr/bin/env bash
# dist.sh VERSION packs the release tarball dist/logsieve-VERSION-linux-amd64.tar.gz:
#   logsieve-VERSION/{bin/logsieve, installer/, configs/, systemd/, nginx/, completions/,
#   man/logsieve.1, README.md, LICENSE}
# without the installer's test suites (installer/test.sh, test-system.sh), which need the
# repository.
# It packs the binary `make build` left in bin/logsieve (LOGSIEVE_BINARY overrides it);
# DIST_DIR overrides the output folder (default: dist/ in the repository).
set -euo pipefail

die() {
	printf 'dist.sh: %s\n' "$*" >&2
	exit 1
}

(($# == 1)) || die "usage: installer/dist.sh VERSION"
readonly VERSION="$1"
[[ "$VERSION" =~ ^[0-9A-Za-z][0-9A-Za-z._+-]*$ ]] || die "invalid version '$VERSION'"

REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
readonly REPO
readonly BINARY="${LOGSIEVE_BINARY:-$REPO/bin/logsieve}"
readonly OUT_DIR="${DIST_DIR:-$REPO/dist}"
readonly NAME="logsieve-$VERSION"
readonly TARBALL="$OUT_DIR/$NAME-linux-amd64.tar.gz"

[[ -f "$BINARY" && -x "$BINARY" ]] ||
	die "binary '$BINARY' is missing or not executable: run 'make build' first"
# An ELF binary must be x86-64 (e_machine 0x3e at offset 18) to be named linux-amd64.
if [[ "$(head -c 4 "$BINARY" | od -An -c | tr -d ' \n')" == '177ELF' ]]; then
	machine="$(od -An -j 18 -N 2 -tu2 "$BINARY" | tr -d ' ')"
	[[ "$machine" == 62 ]] || die "binary '$BINARY' is not linux-amd64 (ELF machine $machine)"
fi
for part in installer configs systemd nginx completions; do
	[[ -d "$REPO/$part" ]] || die "'$REPO/$part' is missing"
done

stage="$(mktemp -d)"
trap 'rm -rf "$stage"' EXIT
top="$stage/$NAME"
mkdir -p "$top/bin"
install -m 0755 "$BINARY" "$top/bin/logsieve"
cp -R "$REPO/installer" "$REPO/configs" "$REPO/systemd" "$REPO/nginx" "$REPO/completions" "$top/"
rm -f "$top/installer/test.sh" "$top/installer/test-system.sh"
mkdir -p "$top/man"
install -m 0644 "$REPO/packaging/deb/logsieve.1" "$top/man/logsieve.1"
for doc in README.md LICENSE; do
	if [[ -f "$REPO/$doc" ]]; then
		cp "$REPO/$doc" "$top/"
	else
		printf 'dist.sh: warning: %s is missing; the tarball ships without it\n' "$doc" >&2
	fi
done
chmod 0755 "$top"/installer/*.sh

mkdir -p "$OUT_DIR"
tar -C "$stage" --sort=name --owner=0 --group=0 --numeric-owner \
	-czf "$TARBALL.tmp" "$NAME"
mv -f "$TARBALL.tmp" "$TARBALL"
printf '%s\n' "$TARBALL"
