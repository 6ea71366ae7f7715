#!/usr/bin/env bash
# install.sh installs (or upgrades in place) logsieve on Ubuntu 22.04/24.04.
# Run it as root from the unpacked release tarball, or from the repository after
# `make build`. Re-running it upgrades the binary and keeps data and configuration.
set -euo pipefail
umask 022

readonly SERVICE=logsieve
readonly SVC_USER=logsieve
SRC_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
readonly SRC_DIR

usage() {
	cat <<'EOF'
Usage: install.sh [--root DIR] [--no-nginx] [--no-start] [--help]

Installs or upgrades logsieve (run as root; Ubuntu 22.04/24.04, Debian with a warning):
  /opt/logsieve/bin/logsieve             the binary
  /etc/logsieve/logsieve.toml            configuration (kept on upgrade; a newer default
                                         goes beside it as logsieve.toml.new)
  /etc/logsieve/tls/logsieve.{crt,key}   self-signed TLS certificate, made only when absent
  /var/lib/logsieve                      data (never touched on upgrade)
  /etc/systemd/system/logsieve.service   hardened unit, enabled and started
  /etc/nginx/sites-available/logsieve.conf (+ sites-enabled link)  HTTPS reverse proxy
  /etc/sysctl.d/60-logsieve.conf         larger UDP receive buffers
  /usr/share/bash-completion/completions/logsieve   bash completion of the CLI
  /usr/local/share/man/man1/logsieve.1   the man page

Options:
  --root DIR   stage every file under DIR instead of /; skips the OS and root checks,
               user creation, chown, apt-get, systemctl, sysctl and nginx reload
  --no-nginx   neither install nginx nor configure the reverse proxy
  --no-start   install and enable, but do not start (or restart) the service
  --help       show this help

Environment:
  LOGSIEVE_BINARY   binary to install (default: bin/logsieve next to installer/)
EOF
}

log() { printf '==> %s\n' "$*"; }
warn() { printf 'install.sh: warning: %s\n' "$*" >&2; }
die() {
	printf 'install.sh: %s\n' "$*" >&2
	exit 1
}

ROOT=""
STAGED=0
WITH_NGINX=1
START=1
DEFAULT_SITE_DISABLED_NOW=0

while (($# > 0)); do
	case "$1" in
	--root)
		(($# >= 2)) || die "option --root needs a directory"
		ROOT="$2"
		shift 2
		;;
	--root=*)
		ROOT="${1#--root=}"
		shift
		;;
	--no-nginx)
		WITH_NGINX=0
		shift
		;;
	--no-start)
		START=0
		shift
		;;
	-h | --help)
		usage
		exit 0
		;;
	*)
		die "unknown option '$1' (see --help)"
		;;
	esac
done

if [[ -n "$ROOT" ]]; then
	[[ "$ROOT" != "/" ]] || die "--root / is the real system; leave --root out instead"
	mkdir -p "$ROOT"
	ROOT="$(cd "$ROOT" && pwd)"
	STAGED=1
fi

readonly BIN_DIR="$ROOT/opt/logsieve/bin"
readonly ETC_DIR="$ROOT/etc/logsieve"
readonly TLS_DIR="$ETC_DIR/tls"
readonly DATA_DIR="$ROOT/var/lib/logsieve"
readonly UNIT_DIR="$ROOT/etc/systemd/system"
readonly SYSCTL_FILE="$ROOT/etc/sysctl.d/60-logsieve.conf"
readonly MAN_DIR="$ROOT/usr/local/share/man/man1"
readonly NGINX_DIR="$ROOT/etc/nginx"
readonly DEFAULT_SITE_MARKER="$ETC_DIR/nginx-default-site-disabled"
readonly PASSWORD_FILE=/var/lib/logsieve/initial-admin-password
readonly COMPLETION_DIR="$ROOT/usr/share/bash-completion/completions"
BINARY="${LOGSIEVE_BINARY:-$SRC_DIR/bin/logsieve}"

# check_os accepts Ubuntu 22.04/24.04, warns on other Debian-family systems, refuses the rest.
check_os() {
	local os_release=/etc/os-release
	[[ -r "$os_release" ]] || die "cannot read $os_release; is this Ubuntu?"
	local id version like
	# shellcheck source=/dev/null
	id="$(. "$os_release" && printf '%s' "${ID:-}")"
	# shellcheck source=/dev/null
	version="$(. "$os_release" && printf '%s' "${VERSION_ID:-}")"
	# shellcheck source=/dev/null
	like="$(. "$os_release" && printf '%s' "${ID_LIKE:-}")"
	case "$id:$version" in
	ubuntu:22.04 | ubuntu:24.04) ;;
	ubuntu:*) warn "Ubuntu $version is untested; supported are 22.04 and 24.04" ;;
	debian:*) warn "Debian $version is not officially supported (Ubuntu 22.04/24.04 are); continuing" ;;
	*)
		if [[ " $like " == *" debian "* || " $like " == *" ubuntu "* ]]; then
			warn "'$id $version' is Debian-based but not supported (Ubuntu 22.04/24.04 are); continuing"
		else
			die "unsupported system '$id $version': logsieve installs on Ubuntu 22.04/24.04 (or Debian)"
		fi
		;;
	esac
}

# apt_install installs the given packages, refreshing the package lists once on failure.
apt_install() {
	export DEBIAN_FRONTEND=noninteractive
	apt-get install -y --no-install-recommends "$@" >/dev/null ||
		{ apt-get update >/dev/null && apt-get install -y --no-install-recommends "$@" >/dev/null; } ||
		die "apt-get could not install: $*"
}

# put_file copies src to dst with mode (and owner when not staged), atomically, so a
# running binary or a reading nginx never sees a half-written file.
put_file() {
	local src="$1" dst="$2" mode="$3" owner="${4:-root:root}"
	local tmp
	tmp="$(mktemp "$(dirname "$dst")/.$(basename "$dst").XXXXXX")"
	cat "$src" >"$tmp"
	chmod "$mode" "$tmp"
	if ((!STAGED)); then chown "$owner" "$tmp"; fi
	mv -f "$tmp" "$dst"
}

make_dir() {
	local dir="$1" mode="$2" owner="${3:-root:root}"
	mkdir -p "$dir"
	chmod "$mode" "$dir"
	if ((!STAGED)); then chown "$owner" "$dir"; fi
}

ensure_user() {
	if ! getent group "$SVC_USER" >/dev/null; then
		groupadd --system "$SVC_USER"
	fi
	if ! id -u "$SVC_USER" >/dev/null 2>&1; then
		log "creating system user $SVC_USER"
		useradd --system --gid "$SVC_USER" --home-dir /var/lib/logsieve --no-create-home \
			--shell /usr/sbin/nologin --comment "logsieve syslog appliance" "$SVC_USER"
	fi
}

install_config() {
	local src="$SRC_DIR/configs/logsieve.toml" dst="$ETC_DIR/logsieve.toml"
	if [[ ! -e "$dst" ]]; then
		log "installing default configuration $dst"
		put_file "$src" "$dst" 0640 "root:$SVC_USER"
	elif cmp -s "$src" "$dst"; then
		rm -f "$dst.new"
	else
		log "keeping your $dst; the new default is in $dst.new"
		put_file "$src" "$dst.new" 0640 "root:$SVC_USER"
	fi
}

make_certificate() {
	local crt="$TLS_DIR/logsieve.crt" key="$TLS_DIR/logsieve.key"
	make_dir "$TLS_DIR" 0755
	if [[ -e "$crt" && -e "$key" ]]; then
		log "keeping the TLS certificate in $TLS_DIR"
		return
	fi
	if ((!STAGED)) && ! command -v openssl >/dev/null; then apt_install openssl; fi
	command -v openssl >/dev/null || die "openssl is needed to make the TLS certificate"
	local host
	host="$(hostname -f 2>/dev/null || hostname)"
	log "creating a self-signed TLS certificate for $host in $TLS_DIR (replace it with your own)"
	local tmpkey tmpcrt
	tmpkey="$(mktemp "$TLS_DIR/.key.XXXXXX")"
	tmpcrt="$(mktemp "$TLS_DIR/.crt.XXXXXX")"
	openssl req -x509 -newkey rsa:2048 -sha256 -nodes -days 3650 \
		-keyout "$tmpkey" -out "$tmpcrt" -subj "/CN=$host" \
		-addext "subjectAltName=DNS:$host,DNS:localhost,IP:127.0.0.1" 2>/dev/null ||
		{
			rm -f "$tmpkey" "$tmpcrt"
			die "openssl could not create the certificate"
		}
	chmod 0600 "$tmpkey"
	chmod 0644 "$tmpcrt"
	mv -f "$tmpkey" "$key"
	mv -f "$tmpcrt" "$crt"
}

# disable_default_site removes the distribution's `default` site, which also claims
# port 80, and records that it did so uninstall.sh can bring it back.
disable_default_site() {
	local link="$NGINX_DIR/sites-enabled/default"
	if [[ -e "$link" || -L "$link" ]]; then
		log "disabling the nginx default site (uninstall.sh restores it)"
		rm -f "$link"
		DEFAULT_SITE_DISABLED_NOW=1
		: >"$DEFAULT_SITE_MARKER"
		chmod 0644 "$DEFAULT_SITE_MARKER"
	fi
}

# nginx_older_than VERSION: whether the nginx on PATH is older than VERSION (false when
# there is no nginx, or its version cannot be read).
nginx_older_than() {
	local have
	have="$(nginx -v 2>&1 | sed -n 's|.*nginx/\([0-9][0-9.]*\).*|\1|p')"
	[[ -n "$have" && "$have" != "$1" ]] || return 1
	[[ "$(printf '%s\n%s\n' "$have" "$1" | sort -V | head -n 1)" == "$have" ]]
}

# adapt_http2 SITE: nginx before 1.25.1 has no `http2` directive; there HTTP/2 is a
# parameter of listen, so the site's `http2 on;` becomes `listen ... ssl http2;`.
adapt_http2() {
	local site="$1"
	command -v nginx >/dev/null || return 0
	if nginx_older_than 1.25.1; then
		sed -i -e '/^[[:space:]]*http2 on;/d' -e 's/^\([[:space:]]*listen .*443 ssl\);/\1 http2;/' "$site"
	fi
}

install_nginx() {
	if ((!STAGED)) && ! command -v nginx >/dev/null; then
		log "installing nginx"
		apt_install nginx
	fi
	make_dir "$NGINX_DIR/sites-available" 0755
	make_dir "$NGINX_DIR/sites-enabled" 0755
	make_certificate
	local site
	site="$(mktemp)"
	cp "$SRC_DIR/nginx/logsieve.conf" "$site"
	adapt_http2 "$site"
	put_file "$site" "$NGINX_DIR/sites-available/logsieve.conf" 0644
	rm -f "$site"
	ln -sfn ../sites-available/logsieve.conf "$NGINX_DIR/sites-enabled/logsieve.conf"
	disable_default_site
	if ((STAGED)); then return; fi

	if ! grep -qs 'sites-enabled' "$NGINX_DIR/nginx.conf"; then
		warn "$NGINX_DIR/nginx.conf does not include sites-enabled/; add the logsieve site yourself"
	fi
	if ! nginx -t >/dev/null 2>&1; then
		nginx -t || true
		# Leave nginx as it was: without our link, with its default site.
		rm -f "$NGINX_DIR/sites-enabled/logsieve.conf"
		if ((DEFAULT_SITE_DISABLED_NOW)); then
			ln -sfn ../sites-available/default "$NGINX_DIR/sites-enabled/default"
			rm -f "$DEFAULT_SITE_MARKER"
		fi
		die "nginx rejects the configuration (see above); logsieve's site is $NGINX_DIR/sites-available/logsieve.conf (not enabled)"
	fi
	systemctl enable nginx >/dev/null 2>&1 || true
	systemctl reload-or-restart nginx || die "nginx did not (re)start: see journalctl -u nginx"
}

write_sysctl() {
	make_dir "$(dirname "$SYSCTL_FILE")" 0755
	local tmp
	tmp="$(mktemp)"
	cat >"$tmp" <<'EOF'
# Written by logsieve's installer: larger socket receive buffers so UDP syslog bursts
# wait in the kernel instead of being dropped. Removed by installer/uninstall.sh.
net.core.rmem_max = 33554432
net.core.rmem_default = 8388608
EOF
	put_file "$tmp" "$SYSCTL_FILE" 0644
	rm -f "$tmp"
	if ((!STAGED)); then
		sysctl --system >/dev/null 2>&1 || warn "sysctl --system failed; the buffer sizes apply after a reboot"
	fi
}

# wait_for_password prints the initial admin password once the service has written it.
wait_for_password() {
	local i
	for ((i = 0; i < 20; i++)); do
		if [[ -s "$PASSWORD_FILE" ]]; then
			printf '  initial admin password: %s\n' "$(cat "$PASSWORD_FILE")"
			printf '  (user "admin"; you must change it at first login; it is also in %s)\n' "$PASSWORD_FILE"
			return
		fi
		sleep 1
	done
	printf '  the initial admin password was not written within 20 s; it will appear in %s\n' "$PASSWORD_FILE"
	printf '  (check: systemctl status logsieve; journalctl -u logsieve)\n'
}

main() {
	if ((!STAGED)); then
		check_os
		((EUID == 0)) || die "run as root (sudo $0)"
		command -v systemctl >/dev/null || die "systemd is required (systemctl not found)"
	fi
	[[ -f "$BINARY" && -x "$BINARY" ]] ||
		die "binary '$BINARY' is missing or not executable: run 'make build' first (or set LOGSIEVE_BINARY)"
	[[ -f "$SRC_DIR/configs/logsieve.toml" ]] || die "'$SRC_DIR/configs/logsieve.toml' is missing"

	local upgrade=0 existing_data=0
	[[ -e "$BIN_DIR/logsieve" ]] && upgrade=1
	[[ -e "$DATA_DIR/logsieve.db" ]] && existing_data=1

	if ((!STAGED)); then ensure_user; fi

	make_dir "$ROOT/opt/logsieve" 0755
	make_dir "$BIN_DIR" 0755
	log "installing binary $BIN_DIR/logsieve"
	put_file "$BINARY" "$BIN_DIR/logsieve" 0755

	make_dir "$ETC_DIR" 0750 "root:$SVC_USER"
	install_config

	make_dir "$DATA_DIR" 0750 "$SVC_USER:$SVC_USER"

	make_dir "$UNIT_DIR" 0755
	put_file "$SRC_DIR/systemd/logsieve.service" "$UNIT_DIR/logsieve.service" 0644

	write_sysctl

	if [[ -f "$SRC_DIR/completions/logsieve.bash" ]]; then
		make_dir "$COMPLETION_DIR" 0755
		put_file "$SRC_DIR/completions/logsieve.bash" "$COMPLETION_DIR/logsieve" 0644
	fi
	if [[ -f "$SRC_DIR/man/logsieve.1" ]]; then
		make_dir "$MAN_DIR" 0755
		put_file "$SRC_DIR/man/logsieve.1" "$MAN_DIR/logsieve.1" 0644
	fi

	if ((WITH_NGINX)); then install_nginx; fi

	if ((!STAGED)); then
		systemctl daemon-reload || die "systemctl daemon-reload failed"
		systemctl enable "$SERVICE" >/dev/null 2>&1 || die "systemctl enable $SERVICE failed"
		if ((START)); then
			log "(re)starting $SERVICE"
			systemctl restart "$SERVICE" ||
				die "$SERVICE did not start: see systemctl status $SERVICE; journalctl -u $SERVICE"
		elif ((upgrade)); then
			warn "--no-start: the running service keeps the old binary until 'systemctl restart $SERVICE'"
		fi
	fi

	local done_what=installed
	if ((upgrade)); then done_what=upgraded; fi
	echo
	log "logsieve $done_what${ROOT:+ under $ROOT}"
	local host ip=""
	host="$(hostname -f 2>/dev/null || hostname)"
	if ((!STAGED)); then ip="$(hostname -I 2>/dev/null | awk '{print $1}')"; fi
	if ((WITH_NGINX)); then
		printf '  URL: https://%s/%s  (self-signed certificate unless you replaced it)\n' \
			"$host" "${ip:+  or  https://$ip/}"
	else
		printf '  URL: http://127.0.0.1:8080/  (no reverse proxy; see http_addr in /etc/logsieve/logsieve.toml)\n'
	fi
	printf '  syslog: allow the ports your engines listen on through any firewall, e.g. 514/udp, 514/tcp\n'
	printf '    and 6514/tcp (TLS, RFC 5425); with ufw: ufw allow 514/udp; ufw allow 514/tcp; ufw allow 6514/tcp\n'
	if ((existing_data)); then
		printf '  existing data kept in /var/lib/logsieve; admin accounts are unchanged\n'
		if [[ -s "$ROOT$PASSWORD_FILE" ]]; then
			printf '  the initial admin password (not changed yet) is in %s\n' "$PASSWORD_FILE"
		fi
	elif ((STAGED || !START)); then
		printf '  the initial admin password will appear in %s after the first start\n' "$PASSWORD_FILE"
		if ((!STAGED)); then printf '  start it with: systemctl start %s\n' "$SERVICE"; fi
	else
		wait_for_password
	fi
}

main
