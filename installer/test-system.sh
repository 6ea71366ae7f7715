#!/usr/bin/env bash
# test-system.sh DEB DEB_NEXT TARBALL proves the packages under a booted systemd:
# Debian 12 (standing in for Ubuntu, whose images cannot be fetched here) boots in
# systemd-nspawn with its own network namespace (so its ports never meet the host's),
# and every check runs inside it through nsenter.
#
#   .deb:     apt install -> unit active, /healthz, READY/watchdog settings, the initial
#             admin password file; enable-nginx-site -> login, API and websocket through
#             https://; an engine made through the API stores a UDP log; reboot -> the
#             service, its engine and the rows are back; systemd-analyze security
#             exposure <= 2.0; SIGSTOP -> the watchdog restarts it; apt install of
#             DEB_NEXT upgrades in place (data, config, engines kept); remove keeps data
#             and config; purge removes config, keeps data.
#   tarball:  install.sh on a fresh container, the same checks, re-run (upgrade),
#             uninstall.sh (data kept), uninstall.sh --purge.
#
# The root fs (debootstrap minbase + systemd, dbus, nginx-light, curl, openssl, ...) is
# made once into ${XDG_CACHE_HOME:-$HOME/.cache}/logsieve/rootfs/ and copied per
# container, so a run needs no download. Needs root, a working systemd-nspawn and, for
# the first run, the Debian mirror; when one is missing it says why and exits 0
# (LOGSIEVE_REQUIRE_SYSTEM=1 makes that a failure). Exits non-zero when a check fails; the last line is
# "test-system: N passed, M failed (S s)".
set -uo pipefail

readonly PACKAGES=systemd,systemd-sysv,dbus,nginx-light,curl,ca-certificates,openssl,iproute2
readonly SUITE=bookworm
readonly PW_FILE=/var/lib/logsieve/initial-admin-password
readonly NEW_PW='system-test password 1'
# The watchdog check shortens WatchdogSec with a drop-in so that it takes seconds; the
# shipped value is checked as it is.
readonly TEST_WATCHDOG_S=4

START_S=$SECONDS
PASSED=0
FAILED=0
pass() {
	PASSED=$((PASSED + 1))
	printf 'ok    %s\n' "$1"
}
fail() {
	FAILED=$((FAILED + 1))
	printf 'FAIL  %s\n' "$1"
	if [[ -n "${2:-}" ]]; then printf '%s\n' "$2" | sed 's/^/      /'; fi
}
note() { printf 'note  %s\n' "$*"; }
die() {
	printf 'test-system: %s\n' "$*" >&2
	exit 1
}
skip_all() {
	if [[ "${LOGSIEVE_REQUIRE_SYSTEM:-}" == 1 ]]; then die "cannot run: $* (LOGSIEVE_REQUIRE_SYSTEM=1)"; fi
	printf 'test-system: skipped: %s\n' "$*"
	exit 0
}

(($# == 3)) || die "usage: installer/test-system.sh DEB DEB_NEXT TARBALL"
DEB="$(realpath "$1")"
DEB_NEXT="$(realpath "$2")"
TARBALL="$(realpath "$3")"
for f in "$DEB" "$DEB_NEXT" "$TARBALL"; do [[ -f "$f" ]] || die "$f is missing"; done
deb_version() { dpkg-deb -f "$1" Version; }
# shellcheck disable=SC2016 # dpkg-query's ${Field} format, not the shell's.
pkg_field() { ct dpkg-query -W -f '${'"$1"'}' logsieve 2>/dev/null; }

((EUID == 0)) || skip_all "needs root (systemd-nspawn boots a container)"
if ! command -v systemd-nspawn >/dev/null || ! command -v debootstrap >/dev/null; then
	note "installing systemd-container and debootstrap"
	export DEBIAN_FRONTEND=noninteractive
	{ apt-get install -y -qq systemd-container debootstrap >/dev/null 2>&1 ||
		{ apt-get update -qq && apt-get install -y -qq systemd-container debootstrap >/dev/null; }; } ||
		skip_all "apt-get could not install systemd-container and debootstrap"
fi

WORK="$(mktemp -d /var/tmp/logsieve-test-system.XXXXXX)"
NSPAWN_PID=""
PID1=""
# stop_ct ends the current container the hard way (nspawn, then its init if orphaned).
stop_ct() {
	if [[ -n "$NSPAWN_PID" ]] && kill -0 "$NSPAWN_PID" 2>/dev/null; then
		kill -TERM "$NSPAWN_PID" 2>/dev/null
		for _ in $(seq 50); do kill -0 "$NSPAWN_PID" 2>/dev/null || break; sleep 0.2; done
		kill -KILL "$NSPAWN_PID" 2>/dev/null
		wait "$NSPAWN_PID" 2>/dev/null
	fi
	if [[ -n "$PID1" ]] && kill -0 "$PID1" 2>/dev/null; then kill -KILL "$PID1" 2>/dev/null; fi
	NSPAWN_PID=""
	PID1=""
}
cleanup() {
	stop_ct
	rm -rf "$WORK"
}
trap cleanup EXIT

# --- root fs ----------------------------------------------------------------------------

# debian_mirror prints the first Debian mirror of this machine's apt sources.
debian_mirror() {
	local uri
	uri="$(sed -n 's/^URIs: *\(\S*\).*/\1/p' /etc/apt/sources.list.d/*.sources 2>/dev/null | grep -v security | head -1)"
	if [[ -z "$uri" ]]; then
		uri="$(sed -n 's/^deb \(\[[^]]*\] \)\?\(\S*\) .*/\2/p' /etc/apt/sources.list /etc/apt/sources.list.d/*.list 2>/dev/null |
			grep -v security | head -1)"
	fi
	printf '%s\n' "${uri:-http://deb.debian.org/debian}"
}

CACHE="${XDG_CACHE_HOME:-$HOME/.cache}/logsieve/rootfs"
ROOTFS="$CACHE/$SUITE-$(printf '%s' "$PACKAGES" | sha256sum | cut -c1-12)"
if [[ ! -e "$ROOTFS/.logsieve-rootfs" ]]; then
	mirror="$(debian_mirror)"
	note "making the $SUITE root fs in $ROOTFS from $mirror (once; about a minute)"
	mkdir -p "$CACHE"
	rm -rf "$ROOTFS.tmp"
	debootstrap --variant=minbase --include="$PACKAGES" "$SUITE" "$ROOTFS.tmp" "$mirror" >"$CACHE/debootstrap.log" 2>&1 ||
		skip_all "debootstrap from $mirror failed (offline?); see $CACHE/debootstrap.log"
	# No network in the containers: nothing may try to reach a mirror or a time server.
	rm -rf "$ROOTFS.tmp/var/lib/apt/lists/"* "$ROOTFS.tmp/var/cache/apt/archives/"*.deb
	printf 'logsieve-test\n' >"$ROOTFS.tmp/etc/hostname"
	printf '%s\n' "$PACKAGES" >"$ROOTFS.tmp/.logsieve-rootfs"
	rm -rf "$ROOTFS"
	mv "$ROOTFS.tmp" "$ROOTFS"
fi

# --- container ---------------------------------------------------------------------------

# boot DIR NAME boots DIR and waits until its systemd is up; sets NSPAWN_PID and PID1.
boot() {
	local dir="$1" name="$2" pid state i
	systemd-nspawn -D "$dir" -b --register=no --keep-unit --private-network -M "$name" \
		--console=read-only </dev/null >>"$WORK/$name.console" 2>&1 &
	NSPAWN_PID=$!
	PID1=""
	for ((i = 0; i < 150; i++)); do
		kill -0 "$NSPAWN_PID" 2>/dev/null || break
		for pid in $(pgrep -P "$NSPAWN_PID"); do
			# The container's PID 1 is the child whose innermost PID is 1.
			if [[ "$(awk '/^NSpid:/ { print $NF }' "/proc/$pid/status" 2>/dev/null)" == 1 ]]; then PID1=$pid; fi
		done
		[[ -n "$PID1" ]] && break
		sleep 0.1
	done
	# Then until that process is systemd and its private bus socket is there.
	for ((i = 0; i < 300; i++)); do
		[[ -n "$PID1" ]] || break
		if [[ "$(readlink "/proc/$PID1/exe")" == */systemd && -S "/proc/$PID1/root/run/systemd/private" ]]; then break; fi
		sleep 0.1
	done
	if [[ -z "$PID1" || ! -S "/proc/$PID1/root/run/systemd/private" ]]; then
		tail -20 "$WORK/$name.console"
		stop_ct
		return 1
	fi
	state="$(ct timeout 90 systemctl is-system-running --wait 2>/dev/null)"
	if [[ "$state" != running ]]; then
		note "$name: systemctl is-system-running says '$state'; failed units:"
		ct systemctl --failed --no-legend --plain | sed 's/^/      /'
	fi
}

# ct CMD... runs CMD inside the booted container (all of PID 1's namespaces, root dir).
ct() {
	nsenter -t "$PID1" -a -- env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin HOME=/root LANG=C.UTF-8 \
		DEBIAN_FRONTEND=noninteractive "$@"
}

# shutdown_ct VERB (poweroff|reboot) stops the container and waits for nspawn to exit.
shutdown_ct() {
	ct systemctl "$1" >/dev/null 2>&1
	local i
	for ((i = 0; i < 300; i++)); do
		kill -0 "$NSPAWN_PID" 2>/dev/null || break
		sleep 0.1
	done
	if kill -0 "$NSPAWN_PID" 2>/dev/null; then
		note "the container did not stop within 30 s; killing it"
		kill -KILL "$NSPAWN_PID"
	fi
	wait "$NSPAWN_PID" 2>/dev/null
	NSPAWN_PID=""
}

# new_ct NAME copies the cached root fs for a container and boots it; prints nothing.
new_ct() {
	local dir="$WORK/$1"
	cp -a --reflink=auto "$ROOTFS" "$dir"
	boot "$dir" "$1"
}

# --- checks ------------------------------------------------------------------------------

# check DESC CMD... passes when CMD (on the host) succeeds.
check() {
	local desc="$1"
	shift
	local out
	if out="$("$@" 2>&1)"; then pass "$desc"; else fail "$desc" "$out"; fi
}
# check_ne DESC GOT UNWANTED
check_ne() {
	if [[ "$2" != "$3" ]]; then pass "$1"; else fail "$1" "got '$2'"; fi
}
not() { ! "$@"; }
# check_eq DESC GOT WANT
check_eq() {
	if [[ "$2" == "$3" ]]; then pass "$1"; else fail "$1" "got '$2'; want '$3'"; fi
}
# wait_for SECONDS CMD... retries CMD (every 0.2 s) until it succeeds.
wait_for() {
	local n=$(($1 * 5))
	shift
	while ((n-- > 0)); do
		if "$@" >/dev/null 2>&1; then return 0; fi
		sleep 0.2
	done
	"$@"
}

unit_prop() { ct systemctl show -p "$1" --value logsieve.service; }
is_active() { [[ "$(ct systemctl is-active logsieve.service)" == active ]]; }
healthz() { [[ "$(ct curl -sf --max-time 5 http://127.0.0.1:8080/healthz)" == ok ]]; }

# https: curl through nginx, the self-signed certificate verified for 127.0.0.1.
https() { ct curl -s --max-time 10 --cacert /etc/logsieve/tls/logsieve.crt "$@"; }
# api METHOD PATH [JSON] calls https://127.0.0.1/api/v1 with the token in TOKEN.
api() {
	local args=(-X "$1" "https://127.0.0.1/api/v1$2" -H "Authorization: Bearer $TOKEN")
	if [[ -n "${3:-}" ]]; then args+=(-H 'Content-Type: application/json' -d "$3"); fi
	https "${args[@]}"
}
json_field() { sed -n "s/.*\"$1\":\"\\([^\"]*\\)\".*/\\1/p"; }

# login PASSWORD sets TOKEN from POST /auth/login through https.
login() {
	TOKEN="$(https https://127.0.0.1/api/v1/auth/login -H 'Content-Type: application/json' \
		-d "{\"username\":\"admin\",\"password\":\"$1\"}" | json_field token)"
	[[ -n "$TOKEN" ]]
}

# (No `| grep -q` below: with pipefail, grep's early exit fails the writer with SIGPIPE.)
http_code() { ct curl -s -o /dev/null -w '%{http_code}' --max-time 5 http://127.0.0.1/; }
redirects_to_https() { [[ "$(http_code)" == 301 ]]; }
serves_dashboard() { [[ "$(https https://127.0.0.1/)" == *'<html'* ]]; }
engine_running() { [[ "$(api GET /engines/sys)" == *'"state":"running"'* ]]; }
journal_has() { [[ "$(ct journalctl -u logsieve.service --no-pager)" == *"$1"* ]]; }

# rows_with TEXT: the engine sys holds a row whose text contains TEXT (today's file).
rows_with() { [[ "$(api GET "/engines/sys/logs?q=$1&limit=10")" == *"$1"* ]]; }

# first_run_checks WHAT: the service just installed on a fresh container: active,
# /healthz, password file, https login (password change), engine + UDP log, websocket.
first_run_checks() {
	local what="$1" pw perms resp ws
	check "$what: logsieve.service is active" wait_for 30 is_active
	check "$what: /healthz answers ok" wait_for 20 healthz
	check_eq "$what: unit is Type=notify" "$(unit_prop Type)" notify
	check_eq "$what: unit has the shipped WatchdogSec=30s" "$(unit_prop WatchdogUSec)" 30s
	check "$what: the initial admin password is in $PW_FILE" wait_for 10 ct test -s "$PW_FILE"
	perms="$(ct stat -c '%a %U' "$PW_FILE" 2>/dev/null)"
	check_eq "$what: $PW_FILE is 600 logsieve" "$perms" "600 logsieve"
	check_eq "$what: data dir is logsieve:logsieve 750" "$(ct stat -c '%U:%G %a' /var/lib/logsieve)" "logsieve:logsieve 750"
	pw="$(ct cat "$PW_FILE" 2>/dev/null)"

	# `systemctl reload nginx` returns before the old workers (which may still serve
	# nginx's default site) are gone: wait for the new configuration to answer.
	if wait_for 10 redirects_to_https; then
		pass "$what: nginx redirects http:// to https://"
	else
		fail "$what: nginx redirects http:// to https://" "got '$(http_code)'; want '301'"
	fi
	check "$what: https:// serves the dashboard" serves_dashboard
	if login "$pw"; then pass "$what: login through https:// with the initial password"; else fail "$what: login through https://"; fi
	resp="$(api POST /auth/password "{\"current\":\"$pw\",\"new\":\"$NEW_PW\"}")"
	TOKEN="$(printf '%s' "$resp" | json_field token)"
	if [[ -n "$TOKEN" ]]; then pass "$what: first password change through https://"; else fail "$what: password change" "$resp"; fi

	resp="$(api POST /engines '{"name":"sys","class":"mikrotik","bind":"127.0.0.1","port":5515}')"
	if [[ "$resp" == *'"state":"running"'* ]]; then pass "$what: engine sys created through the API (running)"; else fail "$what: engine sys created" "$resp"; fi
	ct logger -n 127.0.0.1 -P 5515 -d "systemtest-$what-one from udp"
	check "$what: the UDP log is stored and found through the API" wait_for 15 rows_with "systemtest-$what-one"
	check_eq "$what: GET /system (the System page) answers 200 under the hardened unit" \
		"$(https -o /dev/null -w '%{http_code}' -H "Authorization: Bearer $TOKEN" https://127.0.0.1/api/v1/system)" 200

	ws="$(ct timeout 8 curl -s --http1.1 -N --max-time 4 --cacert /etc/logsieve/tls/logsieve.crt \
		https://127.0.0.1/api/v1/ws -H 'Upgrade: websocket' -H 'Connection: Upgrade' \
		-H 'Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==' -H 'Sec-WebSocket-Version: 13' \
		-H "Authorization: Bearer $TOKEN" | head -c 4096 | tr -c '[:print:]' '.')"
	if [[ "$ws" == *'"type":"stats"'*'"sys"'* ]]; then
		pass "$what: websocket through https:// pushes stats with engine sys"
	else
		fail "$what: websocket through https://" "${ws:0:300}"
	fi
}

# after_reboot_checks WHAT: service, engine and rows back after a reboot.
after_reboot_checks() {
	local what="$1"
	check "$what: after reboot logsieve.service is active" wait_for 30 is_active
	check "$what: after reboot /healthz answers ok" wait_for 20 healthz
	check "$what: after reboot login with the changed password" login "$NEW_PW"
	check "$what: after reboot engine sys is running" engine_running
	check "$what: after reboot the row stored before is there" rows_with "systemtest-$what-one"
	ct logger -n 127.0.0.1 -P 5515 -d "systemtest-$what-two after reboot"
	check "$what: after reboot a new UDP log is stored" wait_for 15 rows_with "systemtest-$what-two"
}

security_check() {
	local what="$1" line level
	line="$(ct systemd-analyze security logsieve.service 2>/dev/null | grep 'Overall exposure level')"
	level="$(printf '%s' "$line" | sed -n 's/.*: \([0-9.]*\) .*/\1/p')"
	if [[ -n "$level" ]] && awk -v l="$level" 'BEGIN { exit !(l <= 2.0) }'; then
		pass "$what: systemd-analyze security exposure $level <= 2.0"
	else
		fail "$what: systemd-analyze security exposure <= 2.0" "$line"
	fi
}

# watchdog_check WHAT: a SIGSTOPped service misses its keep-alives and systemd restarts it.
watchdog_check() {
	local what="$1" pid restarts newpid i
	ct mkdir -p /etc/systemd/system/logsieve.service.d
	printf '[Service]\nWatchdogSec=%ss\n' "$TEST_WATCHDOG_S" >"$CTDIR/etc/systemd/system/logsieve.service.d/test-watchdog.conf"
	ct systemctl daemon-reload
	ct systemctl restart logsieve.service
	wait_for 30 is_active >/dev/null
	pid="$(unit_prop MainPID)"
	restarts="$(unit_prop NRestarts)"
	ct sh -c "kill -STOP $pid"
	newpid="$pid"
	for ((i = 0; i < 300; i++)); do
		newpid="$(unit_prop MainPID)"
		if [[ "$newpid" != "$pid" && "$newpid" != 0 ]] && is_active; then break; fi
		sleep 0.2
	done
	if [[ "$newpid" != "$pid" && "$newpid" != 0 ]] && is_active && (($(unit_prop NRestarts) > restarts)); then
		pass "$what: SIGSTOP -> watchdog timeout -> restarted (pid $pid -> $newpid)"
	else
		fail "$what: watchdog restart after SIGSTOP" "pid $pid -> $newpid; $(ct systemctl status logsieve.service --no-pager 2>&1 | tail -5)"
	fi
	check "$what: the journal says the unit failed with result 'watchdog'" journal_has "Failed with result 'watchdog'"
	rm -f "$CTDIR/etc/systemd/system/logsieve.service.d/test-watchdog.conf"
	ct systemctl daemon-reload
	ct systemctl restart logsieve.service
	check "$what: active again with the shipped WatchdogSec" wait_for 30 healthz
}

# --- the .deb ----------------------------------------------------------------------------

test_deb() {
	local what=deb v1 v2 pid_before md5_before
	v1="$(deb_version "$DEB")"
	v2="$(deb_version "$DEB_NEXT")"
	CTDIR="$WORK/deb"
	# The first boot also probes whether systemd-nspawn works here at all.
	new_ct deb || skip_all "systemd-nspawn cannot boot a container here (console above)"
	pass "deb: Debian 12 container booted (systemd $(ct systemctl --version | awk 'NR == 1 { print $2 }'))"
	cp "$DEB" "$DEB_NEXT" "$CTDIR/root/"
	check "deb: apt install ./$(basename "$DEB")" ct apt-get install -y -q "/root/$(basename "$DEB")"
	check_eq "deb: installed version" "$(pkg_field Version)" "$v1"
	check_eq "deb: /usr/bin/logsieve runs" "$(ct logsieve version | awk '{ print $1 }')" logsieve
	check "deb: logsieve system user" ct id logsieve
	check "deb: the unit is enabled" ct systemctl is-enabled logsieve.service
	check "deb: man page installed" ct test -s /usr/share/man/man1/logsieve.1.gz
	check_eq "deb: config mode and group" "$(ct stat -c '%a %U:%G' /etc/logsieve/logsieve.toml)" "640 root:logsieve"
	check "deb: enable-nginx-site (self-signed certificate, site enabled, nginx reloaded)" \
		ct /usr/share/logsieve/enable-nginx-site
	first_run_checks "$what"
	security_check "$what"

	shutdown_ct reboot
	boot "$CTDIR" deb || fail "deb: container boots again"
	after_reboot_checks "$what"
	watchdog_check "$what"

	# Upgrade: a local change to the config must survive, as must data and engines.
	printf '\n# local change kept across upgrades\n' >>"$CTDIR/etc/logsieve/logsieve.toml"
	md5_before="$(md5sum <"$CTDIR/etc/logsieve/logsieve.toml")"
	pid_before="$(unit_prop MainPID)"
	check "deb: apt install ./$(basename "$DEB_NEXT") (upgrade)" ct apt-get install -y -q -o Dpkg::Options::=--force-confold "/root/$(basename "$DEB_NEXT")"
	check_eq "deb: upgraded version" "$(pkg_field Version)" "$v2"
	check_ne "deb: after upgrade the service was restarted (new main PID)" "$(unit_prop MainPID)" "$pid_before"
	check "deb: after upgrade active and /healthz ok" wait_for 30 healthz
	check_eq "deb: after upgrade the edited config is kept" "$(md5sum <"$CTDIR/etc/logsieve/logsieve.toml")" "$md5_before"
	check "deb: after upgrade login (data kept)" login "$NEW_PW"
	check "deb: after upgrade engine sys is running" engine_running
	check "deb: after upgrade earlier rows are there" rows_with "systemtest-$what-two"
	ct logger -n 127.0.0.1 -P 5515 -d "systemtest-$what-three after upgrade"
	check "deb: after upgrade a new UDP log is stored" wait_for 15 rows_with "systemtest-$what-three"

	check "deb: apt remove" ct apt-get remove -y -q logsieve
	check_eq "deb: after remove the service is stopped" "$(ct systemctl is-active logsieve.service)" inactive
	check "deb: after remove /usr/bin/logsieve is gone" ct test ! -e /usr/bin/logsieve
	check "deb: after remove the config is kept" ct test -s /etc/logsieve/logsieve.toml
	check "deb: after remove the data is kept" ct test -s /var/lib/logsieve/logsieve.db
	check "deb: apt purge" ct apt-get purge -y -q logsieve
	check "deb: after purge /etc/logsieve is gone" ct test ! -e /etc/logsieve
	check "deb: after purge the nginx site is gone" ct test ! -e /etc/nginx/sites-enabled/logsieve.conf
	check "deb: after purge nginx's default site is back and nginx -t passes" \
		ct sh -c 'test -e /etc/nginx/sites-enabled/default && nginx -t 2>/dev/null'
	check "deb: after purge the data is kept (docs: rm -rf /var/lib/logsieve)" ct test -s /var/lib/logsieve/logsieve.db
	check_eq "deb: after purge dpkg knows no logsieve" "$(pkg_field Status)" ""
	shutdown_ct poweroff
	rm -rf "$CTDIR"
}

# --- the tarball -------------------------------------------------------------------------

test_tarball() {
	local what=tarball out top pw
	CTDIR="$WORK/tgz"
	new_ct tgz || {
		fail "tarball: container boots"
		return
	}
	tar -C "$CTDIR/root" -xzf "$TARBALL"
	top="/root/$(tar -tzf "$TARBALL" | head -1 | cut -d/ -f1)"
	if out="$(ct "$top/installer/install.sh" 2>&1)"; then pass "tarball: install.sh"; else fail "tarball: install.sh" "$out"; fi
	pw="$(ct cat "$PW_FILE" 2>/dev/null)"
	if [[ -n "$pw" && "$out" == *"initial admin password: $pw"* ]]; then
		pass "tarball: install.sh prints the initial admin password of $PW_FILE"
	else
		fail "tarball: install.sh prints the initial admin password" "$out"
	fi
	check "tarball: man page in /usr/local/share/man/man1" ct test -s /usr/local/share/man/man1/logsieve.1
	first_run_checks "$what"
	security_check "$what"
	shutdown_ct reboot
	boot "$CTDIR" tgz || fail "tarball: container boots again"
	after_reboot_checks "$what"

	if out="$(ct "$top/installer/install.sh" 2>&1)" && [[ "$out" == *upgraded* ]]; then
		pass "tarball: install.sh again (upgrade)"
	else
		fail "tarball: install.sh again" "$out"
	fi
	check "tarball: after re-install /healthz ok" wait_for 30 healthz
	check "tarball: after re-install login (data kept)" login "$NEW_PW"
	check "tarball: after re-install earlier rows are there" rows_with "systemtest-$what-two"

	if out="$(ct "$top/installer/uninstall.sh" 2>&1)"; then pass "tarball: uninstall.sh"; else fail "tarball: uninstall.sh" "$out"; fi
	check "tarball: after uninstall the unit is gone" ct test ! -e /etc/systemd/system/logsieve.service
	check "tarball: after uninstall nothing answers on 8080" not healthz
	check "tarball: after uninstall /opt/logsieve and /etc/logsieve are gone" ct sh -c '! test -e /opt/logsieve && ! test -e /etc/logsieve'
	check "tarball: after uninstall the man page is gone" ct test ! -e /usr/local/share/man/man1/logsieve.1
	check "tarball: after uninstall the data is kept" ct test -s /var/lib/logsieve/logsieve.db
	check "tarball: after uninstall nginx -t passes" ct nginx -t
	if out="$(ct "$top/installer/uninstall.sh" --purge 2>&1)"; then
		pass "tarball: uninstall.sh --purge"
	else
		fail "tarball: uninstall.sh --purge" "$out"
	fi
	check "tarball: after --purge the data and the user are gone" ct sh -c '! test -e /var/lib/logsieve && ! id logsieve'
	shutdown_ct poweroff
}

note "deb $(basename "$DEB") -> $(basename "$DEB_NEXT"); tarball $(basename "$TARBALL"); root fs $ROOTFS"
test_deb
test_tarball
printf 'test-system: %d passed, %d failed (%d s)\n' "$PASSED" "$FAILED" $((SECONDS - START_S))
((FAILED == 0))
