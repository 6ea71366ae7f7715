#!/usr/bin/env bash
# uninstall.sh removes what install.sh installed. The data dir /var/lib/logsieve (and
# the logsieve user that owns it) are kept unless --purge is given.
set -euo pipefail

readonly SERVICE=logsieve
readonly SVC_USER=logsieve

usage() {
	cat <<'EOF'
Usage: uninstall.sh [--root DIR] [--purge] [--help]

Stops and removes logsieve: the systemd unit, /opt/logsieve, /etc/logsieve (config and
TLS certificate), the nginx site (re-enabling nginx's default site if install.sh had
disabled it), /etc/sysctl.d/60-logsieve.conf and the man page. nginx itself stays installed.
Keeps /var/lib/logsieve and the logsieve user unless --purge.

Options:
  --root DIR   remove from a staging root made by install.sh --root DIR; skips the root
               check, systemctl, userdel, sysctl and nginx reload
  --purge      also delete /var/lib/logsieve (every engine's logs) and the logsieve user
  --help       show this help
EOF
}

log() { printf '==> %s\n' "$*"; }
warn() { printf 'uninstall.sh: warning: %s\n' "$*" >&2; }
die() {
	printf 'uninstall.sh: %s\n' "$*" >&2
	exit 1
}

ROOT=""
STAGED=0
PURGE=0

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
	--purge)
		PURGE=1
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
	[[ -d "$ROOT" ]] || die "staging root '$ROOT' does not exist"
	ROOT="$(cd "$ROOT" && pwd)"
	STAGED=1
fi

readonly ETC_DIR="$ROOT/etc/logsieve"
readonly DATA_DIR="$ROOT/var/lib/logsieve"
readonly UNIT_FILE="$ROOT/etc/systemd/system/logsieve.service"
readonly SYSCTL_FILE="$ROOT/etc/sysctl.d/60-logsieve.conf"
readonly COMPLETION_FILE="$ROOT/usr/share/bash-completion/completions/logsieve"
readonly MAN_FILE="$ROOT/usr/local/share/man/man1/logsieve.1"
readonly NGINX_DIR="$ROOT/etc/nginx"
readonly DEFAULT_SITE_MARKER="$ETC_DIR/nginx-default-site-disabled"

remove_service() {
	if ((!STAGED)) && command -v systemctl >/dev/null; then
		if systemctl list-unit-files "$SERVICE.service" >/dev/null 2>&1; then
			log "stopping and disabling $SERVICE"
			systemctl disable --now "$SERVICE" >/dev/null 2>&1 || true
		fi
	fi
	rm -f "$UNIT_FILE"
	rm -rf "$UNIT_FILE.d"
	if ((!STAGED)) && command -v systemctl >/dev/null; then
		systemctl daemon-reload || warn "systemctl daemon-reload failed"
		systemctl reset-failed "$SERVICE" >/dev/null 2>&1 || true
	fi
}

remove_nginx_site() {
	local had_site=0
	if [[ -e "$NGINX_DIR/sites-available/logsieve.conf" || -L "$NGINX_DIR/sites-enabled/logsieve.conf" ]]; then
		had_site=1
		log "removing the nginx site"
	fi
	rm -f "$NGINX_DIR/sites-enabled/logsieve.conf" "$NGINX_DIR/sites-available/logsieve.conf"
	if [[ -e "$DEFAULT_SITE_MARKER" ]]; then
		if [[ -e "$NGINX_DIR/sites-available/default" && ! -e "$NGINX_DIR/sites-enabled/default" ]]; then
			log "re-enabling the nginx default site"
			ln -sfn ../sites-available/default "$NGINX_DIR/sites-enabled/default"
		fi
		had_site=1
	fi
	if ((STAGED || !had_site)) || ! command -v nginx >/dev/null; then return; fi
	if nginx -t >/dev/null 2>&1; then
		systemctl reload nginx >/dev/null 2>&1 || true
	else
		warn "nginx rejects its configuration now (nginx -t); not reloading it"
	fi
}

main() {
	if ((!STAGED)); then
		((EUID == 0)) || die "run as root (sudo $0)"
	fi

	remove_service
	remove_nginx_site

	log "removing /opt/logsieve, /etc/logsieve and the sysctl settings"
	rm -rf "$ROOT/opt/logsieve" "$ETC_DIR"
	rm -f "$COMPLETION_FILE"
	rm -f "$MAN_FILE"
	if [[ -e "$SYSCTL_FILE" ]]; then
		rm -f "$SYSCTL_FILE"
		if ((!STAGED)); then
			sysctl --system >/dev/null 2>&1 || true
			printf '  net.core.rmem_max/rmem_default keep their raised values until the next reboot\n'
		fi
	fi

	if ((PURGE)); then
		log "purging $DATA_DIR"
		rm -rf "$DATA_DIR"
		if ((!STAGED)); then
			if id -u "$SVC_USER" >/dev/null 2>&1; then userdel "$SVC_USER" || warn "could not delete user $SVC_USER"; fi
			if getent group "$SVC_USER" >/dev/null; then groupdel "$SVC_USER" || warn "could not delete group $SVC_USER"; fi
		fi
		log "logsieve removed, data included"
	else
		log "logsieve removed; data kept in ${DATA_DIR} (uninstall.sh --purge deletes it)"
	fi
}

main
