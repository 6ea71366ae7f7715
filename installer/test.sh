#!/usr/bin/env bash
# test.sh checks install.sh, uninstall.sh and dist.sh against a staging root (--root),
# plus shellcheck, `systemd-analyze verify` on the unit and `nginx -t` on the site.
# It installs the binary ./bin/logsieve when `make build` made one, else a tiny fake.
# Exits non-zero when any check fails; the last line is "installer: N passed, M failed".
set -uo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
REPO="$(cd "$HERE/.." && pwd)"
TMP="$(mktemp -d)"
trap 'rm -rf "$TMP"' EXIT

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
skip() { printf 'skip  %s\n' "$1"; }

# check DESC CMD... passes when CMD succeeds.
check() {
	local desc="$1"
	shift
	if "$@"; then pass "$desc"; else fail "$desc"; fi
}

# run_capture CMD... runs CMD, keeping its exit status in RC and its output in OUT.
run_capture() {
	OUT="$("$@" 2>&1)"
	RC=$?
}

# has_line FILE REGEX: FILE has a line matching the extended REGEX.
has_line() { grep -Eq -- "$2" "$1"; }

# check_mode DESC PATH MODE: PATH exists (not as a link) with octal MODE.
check_mode() {
	local path="$1" want="$2" got
	if [[ ! -e "$path" || -L "$path" ]]; then
		fail "$path exists" "missing"
		return
	fi
	got="$(stat -c %a "$path")"
	if [[ "$got" == "$want" ]]; then
		pass "${path#"$TMP"/} has mode $want"
	else
		fail "${path#"$TMP"/} has mode $want" "got mode $got; want $want"
	fi
}

# as_root_install PKG...: installs packages with apt-get when running as root.
as_root_install() {
	((EUID == 0)) || return 1
	DEBIAN_FRONTEND=noninteractive apt-get install -y "$@" >/dev/null 2>&1
}

# --- binaries --------------------------------------------------------------------------
BINARY="$REPO/bin/logsieve"
if [[ ! -x "$BINARY" ]]; then
	BINARY="$TMP/fake-logsieve"
	printf '#!/bin/sh\necho "logsieve fake v1"\n' >"$BINARY"
	chmod 0755 "$BINARY"
	printf 'note  %s\n' "bin/logsieve not built; installing a fake binary"
fi
BINARY_V2="$TMP/fake-logsieve-v2"
printf '#!/bin/sh\necho "logsieve fake v2"\n' >"$BINARY_V2"
chmod 0755 "$BINARY_V2"

install_sh() { LOGSIEVE_BINARY="$BINARY" "$HERE/install.sh" "$@"; }

# --- shellcheck ------------------------------------------------------------------------
if ! command -v shellcheck >/dev/null; then as_root_install shellcheck; fi
if command -v shellcheck >/dev/null; then
	for script in install.sh uninstall.sh dist.sh test.sh; do
		run_capture shellcheck "$HERE/$script"
		if ((RC == 0)); then pass "shellcheck $script"; else fail "shellcheck $script" "$OUT"; fi
	done
else
	skip "shellcheck: not installed and cannot install it (not root)"
fi

# --- command line ----------------------------------------------------------------------
for script in install.sh uninstall.sh; do
	run_capture "$HERE/$script" --help
	if ((RC == 0)) && [[ "$OUT" == *Usage:* && "$OUT" == *--root* ]]; then
		pass "$script --help exits 0 and prints usage"
	else
		fail "$script --help exits 0 and prints usage" "exit $RC: $OUT"
	fi
	run_capture "$HERE/$script" --root "$TMP/never" --bogus-flag
	if ((RC != 0)) && [[ "$OUT" == *--bogus-flag* ]]; then
		pass "$script rejects an unknown flag, naming it"
	else
		fail "$script rejects an unknown flag, naming it" "exit $RC: $OUT"
	fi
done
run_capture env LOGSIEVE_BINARY="$TMP/missing" "$HERE/install.sh" --root "$TMP/nobin"
if ((RC != 0)) && [[ "$OUT" == *"make build"* ]]; then
	pass "install.sh without a binary fails and says to run make build"
else
	fail "install.sh without a binary fails and says to run make build" "exit $RC: $OUT"
fi

# --- configs/logsieve.toml -------------------------------------------------------------
CONFIG="$REPO/configs/logsieve.toml"
declare -A WANT_CONFIG=(
	[http_addr]='"127.0.0.1:8080"'
	[data_dir]='"/var/lib/logsieve"'
	[trusted_proxies]='["127.0.0.1", "::1"]'
	[default_retention_days]='30'
	[min_free_percent]='10'
	[disk_full_policy]='"delete_oldest"'
	[udp_rcvbuf_bytes]='33554432'
	[spool_max_bytes]='4294967296'
	[public_url]='""'
	[metrics_public]='false'
	[metrics_token]='""'
	[token_ttl]='"12h"'
	[log_level]='"info"'
	[log_format]='"text"'
	[tls_cert_file]='""'
	[tls_key_file]='""'
	[nats]='""'
	[node]='""'
	[role]='""'
	[advertise]='""'
	[cluster_secret]='""'
)
for key in "${!WANT_CONFIG[@]}"; do
	got="$(sed -n "s/^$key = //p" "$CONFIG")"
	if [[ "$got" == "${WANT_CONFIG[$key]}" ]]; then
		pass "config default $key = $got"
	else
		fail "config default $key" "got '$got'; want '${WANT_CONFIG[$key]}'"
	fi
	if awk -v k="$key" '$0 ~ "^"k" = " { exit !(prev ~ /^#/) } { prev = $0 }' "$CONFIG"; then
		pass "config key $key has a comment right above it"
	else
		fail "config key $key has a comment right above it"
	fi
done
keys="$(grep -Eo '^[a-z_]+ =' "$CONFIG" | wc -l)"
check "config has exactly the ${#WANT_CONFIG[@]} documented keys (got $keys)" test "$keys" -eq "${#WANT_CONFIG[@]}"
if python3 -c 'import tomllib' 2>/dev/null; then
	run_capture python3 -c 'import sys, tomllib; tomllib.load(open(sys.argv[1], "rb"))' "$CONFIG"
	if ((RC == 0)); then pass "config is valid TOML"; else fail "config is valid TOML" "$OUT"; fi
else
	skip "TOML syntax check: python3 tomllib unavailable"
fi

# --- first install into a staging root -------------------------------------------------
R="$TMP/root"
# The distribution's nginx default site, which install.sh must disable and uninstall.sh restore.
mkdir -p "$R/etc/nginx/sites-available" "$R/etc/nginx/sites-enabled"
printf 'server { listen 80 default_server; }\n' >"$R/etc/nginx/sites-available/default"
ln -s /etc/nginx/sites-available/default "$R/etc/nginx/sites-enabled/default"

run_capture install_sh --root "$R"
if ((RC == 0)); then pass "install.sh --root succeeds"; else fail "install.sh --root succeeds" "$OUT"; fi
if [[ "$OUT" == *"/var/lib/logsieve/initial-admin-password"* ]]; then
	pass "install prints where the initial admin password will appear"
else
	fail "install prints where the initial admin password will appear" "$OUT"
fi

if [[ "$OUT" == *"514/udp"*"514/tcp"*"6514/tcp (TLS, RFC 5425)"* ]]; then
	pass "install names the syslog ports to allow, TLS's 6514/tcp included"
else
	fail "install names the syslog ports to allow, TLS's 6514/tcp included" "$OUT"
fi

check_mode "$R/opt/logsieve/bin/logsieve" 755
check_mode "$R/etc/logsieve" 750
check_mode "$R/etc/logsieve/logsieve.toml" 640
check_mode "$R/etc/logsieve/tls/logsieve.key" 600
check_mode "$R/etc/logsieve/tls/logsieve.crt" 644
check_mode "$R/var/lib/logsieve" 750
check_mode "$R/etc/systemd/system/logsieve.service" 644
check_mode "$R/etc/nginx/sites-available/logsieve.conf" 644
check_mode "$R/etc/sysctl.d/60-logsieve.conf" 644
check_mode "$R/usr/share/bash-completion/completions/logsieve" 644
check "bash completion is the repository's" cmp -s "$REPO/completions/logsieve.bash" "$R/usr/share/bash-completion/completions/logsieve"
check "bash completion completes the commands" bash -c "source '$R/usr/share/bash-completion/completions/logsieve'; COMP_WORDS=(logsieve se); COMP_CWORD=1; _logsieve; [[ \"\${COMPREPLY[*]}\" == serve ]]"
check "bash completion completes serve's flags" bash -c "source '$R/usr/share/bash-completion/completions/logsieve'; COMP_WORDS=(logsieve serve --log-); COMP_CWORD=2; _logsieve; [[ \"\${COMPREPLY[*]}\" == --log-format ]]"

check "installed binary is the given one" cmp -s "$BINARY" "$R/opt/logsieve/bin/logsieve"
check "installed config is the default" cmp -s "$CONFIG" "$R/etc/logsieve/logsieve.toml"
check "no logsieve.toml.new on a fresh install" test ! -e "$R/etc/logsieve/logsieve.toml.new"
check "sites-enabled/logsieve.conf links to the site" \
	test "$(readlink -f "$R/etc/nginx/sites-enabled/logsieve.conf")" = "$R/etc/nginx/sites-available/logsieve.conf"
check "distro default site disabled" test ! -e "$R/etc/nginx/sites-enabled/default" -a ! -L "$R/etc/nginx/sites-enabled/default"
check "default site kept in sites-available" test -f "$R/etc/nginx/sites-available/default"
check "disabling the default site is remembered" test -e "$R/etc/logsieve/nginx-default-site-disabled"
check "TLS certificate is a valid X.509 certificate" \
	openssl x509 -in "$R/etc/logsieve/tls/logsieve.crt" -noout
check "TLS key matches the certificate" test \
	"$(openssl x509 -in "$R/etc/logsieve/tls/logsieve.crt" -noout -pubkey 2>/dev/null)" = \
	"$(openssl pkey -in "$R/etc/logsieve/tls/logsieve.key" -pubout 2>/dev/null)"

UNIT="$R/etc/systemd/system/logsieve.service"
# shellcheck disable=SC2016 # $MAINPID is systemd's, matched literally.
for line in '^User=logsieve$' '^Group=logsieve$' '^ProtectSystem=strict$' \
	'^AmbientCapabilities=CAP_NET_BIND_SERVICE$' '^CapabilityBoundingSet=CAP_NET_BIND_SERVICE$' \
	'^NoNewPrivileges=yes$' '^StateDirectory=logsieve$' '^PrivateTmp=yes$' \
	'^Type=notify$' '^WatchdogSec=[0-9]+s$' \
	'^ProtectHome=yes$' '^ProtectKernelTunables=yes$' '^ProtectKernelModules=yes$' \
	'^RestrictAddressFamilies=AF_INET AF_INET6 AF_UNIX AF_NETLINK$' '^Restart=on-failure$' \
	'^LimitNOFILE=[0-9]+$' '^WantedBy=multi-user.target$' '^ExecReload=/bin/kill -HUP \$MAINPID$' \
	'^ExecStart=/opt/logsieve/bin/logsieve serve --config /etc/logsieve/logsieve.toml --data /var/lib/logsieve$'; do
	check "unit has $line" has_line "$UNIT" "$line"
done

SITE="$R/etc/nginx/sites-available/logsieve.conf"
# shellcheck disable=SC2016 # the $ signs are nginx variables, matched literally.
for line in 'proxy_set_header +Upgrade +\$http_upgrade;' 'proxy_set_header +Connection +\$logsieve_connection_upgrade;' \
	'location = /api/v1/ws' 'ssl_certificate +/etc/logsieve/tls/logsieve.crt;' \
	'ssl_certificate_key +/etc/logsieve/tls/logsieve.key;' 'return 301 https://\$host\$request_uri;' \
	'server 127.0.0.1:8080;' 'proxy_buffering off;' 'proxy_read_timeout 1h;' 'client_max_body_size [0-9]+m;' \
	'proxy_set_header X-Forwarded-For ' 'proxy_set_header X-Forwarded-Proto +\$scheme;' 'listen 443 ssl'; do
	check "nginx site has $line" has_line "$SITE" "$line"
done
check "nginx site sends HSTS on every answer" has_line "$SITE" '^ +add_header Strict-Transport-Security "max-age=[0-9]+" always;$'
check "nginx site leaves compression to the server (gzip off)" has_line "$SITE" '^ +gzip off;$'
check "nginx site turns gzip on nowhere" test -z "$(grep -E '^[^#]*gzip +on' "$SITE")"
SRC_SITE="$HERE/../nginx/logsieve.conf"
check "source site uses the http2 directive" has_line "$SRC_SITE" '^ +http2 on;$'
check "source site has no deprecated listen ... http2" test -z "$(grep -E '^[^#]*listen .*http2' "$SRC_SITE")"
# install.sh keeps `http2 on;` for nginx >= 1.25.1 and rewrites it to the listen parameter
# for older ones: a fake nginx on PATH names each version.
for v in 1.18.0 1.24.0 1.25.1 1.26.3; do
	mkdir -p "$TMP/fake-nginx-$v"
	printf '#!/bin/sh\necho "nginx version: nginx/%s" >&2\n' "$v" >"$TMP/fake-nginx-$v/nginx"
	chmod +x "$TMP/fake-nginx-$v/nginx"
	run_capture env PATH="$TMP/fake-nginx-$v:$PATH" LOGSIEVE_BINARY="$BINARY" "$HERE/install.sh" --root "$TMP/root-nginx-$v" --no-start
	site="$TMP/root-nginx-$v/etc/nginx/sites-available/logsieve.conf"
	if [[ "$v" == 1.18.0 || "$v" == 1.24.0 ]]; then
		check "nginx $v gets listen 443 ssl http2 and no http2 directive" \
			test "$(grep -cE '^ +listen (\[::\]:)?443 ssl http2;$' "$site")" = 2 -a -z "$(grep -E 'http2 on;' "$site")"
	else
		check "nginx $v keeps the http2 directive" \
			test "$(grep -cE '^ +http2 on;$' "$site")" = 1 -a -z "$(grep -E '^[^#]*listen .*http2' "$site")"
	fi
done

SYSCTL="$R/etc/sysctl.d/60-logsieve.conf"
check "sysctl raises net.core.rmem_max to 33554432" has_line "$SYSCTL" '^net\.core\.rmem_max = 33554432$'
check "sysctl raises net.core.rmem_default to 8388608" has_line "$SYSCTL" '^net\.core\.rmem_default = 8388608$'

# --- systemd-analyze verify ------------------------------------------------------------
if command -v systemd-analyze >/dev/null; then
	# verify wants ExecStart to exist, so point the paths at the staged root.
	mkdir -p "$TMP/unit"
	sed -e "s|/opt/logsieve/|$R/opt/logsieve/|g" -e "s|/var/lib/logsieve|$R/var/lib/logsieve|g" \
		-e "s|/etc/logsieve/|$R/etc/logsieve/|g" "$UNIT" >"$TMP/unit/logsieve.service"
	run_capture systemd-analyze verify "$TMP/unit/logsieve.service"
	# verify exits 0 on ignored (mistyped) settings, so any output counts as a failure.
	if ((RC == 0)) && [[ -z "$OUT" ]]; then
		pass "systemd-analyze verify accepts the unit without warnings"
	else
		fail "systemd-analyze verify accepts the unit without warnings" "exit $RC: $OUT"
	fi
else
	skip "systemd-analyze verify: systemd-analyze not installed"
fi

# --- nginx -t --------------------------------------------------------------------------
if ! command -v nginx >/dev/null; then
	as_root_install nginx-light || as_root_install nginx
fi
if command -v nginx >/dev/null; then
	N="$TMP/nginx"
	mkdir -p "$N/logs"
	sed "s|/etc/logsieve/|$R/etc/logsieve/|g" "$SITE" >"$N/site.conf"
	printf 'events {}\nhttp {\n    include %s;\n}\n' "$N/site.conf" >"$N/nginx.conf"
	errflag=()
	if nginx -h 2>&1 | grep -q -- '-e filename'; then errflag=(-e stderr); fi
	run_capture nginx -t "${errflag[@]}" -p "$N/" -c "$N/nginx.conf" -g "pid $N/nginx.pid; error_log stderr;"
	if ((RC == 0)); then pass "nginx -t accepts the site with the staged certificate"; else fail "nginx -t accepts the site" "$OUT"; fi
else
	skip "nginx -t: nginx not installed and cannot install it (not root)"
fi

# --- second install = upgrade in place -------------------------------------------------
mkdir -p "$R/var/lib/logsieve/engines/demo"
printf 'day file\n' >"$R/var/lib/logsieve/engines/demo/2025-01-01.sqlite3"
printf 'db\n' >"$R/var/lib/logsieve/logsieve.db"
sed -i 's/^log_level = "info"/log_level = "debug"/' "$R/etc/logsieve/logsieve.toml"
cp "$R/etc/logsieve/logsieve.toml" "$TMP/edited.toml"
cp "$R/etc/logsieve/tls/logsieve.crt" "$TMP/cert-before"

run_capture env LOGSIEVE_BINARY="$BINARY_V2" "$HERE/install.sh" --root "$R"
if ((RC == 0)); then pass "second install.sh --root succeeds"; else fail "second install.sh --root succeeds" "$OUT"; fi
check "second install reports an upgrade" test "${OUT/upgraded/}" != "$OUT"
check "upgrade replaces the binary" cmp -s "$BINARY_V2" "$R/opt/logsieve/bin/logsieve"
check_mode "$R/opt/logsieve/bin/logsieve" 755
check "upgrade keeps the operator's config" cmp -s "$TMP/edited.toml" "$R/etc/logsieve/logsieve.toml"
check "upgrade writes the new default beside it as .new" cmp -s "$CONFIG" "$R/etc/logsieve/logsieve.toml.new"
check "upgrade keeps data files" cmp -s <(printf 'day file\n') "$R/var/lib/logsieve/engines/demo/2025-01-01.sqlite3"
check "upgrade keeps the metadata DB" test -s "$R/var/lib/logsieve/logsieve.db"
check "upgrade keeps the TLS certificate" cmp -s "$TMP/cert-before" "$R/etc/logsieve/tls/logsieve.crt"
check "upgrade keeps the default site disabled" test ! -e "$R/etc/nginx/sites-enabled/default"

cp "$CONFIG" "$R/etc/logsieve/logsieve.toml"
run_capture install_sh --root "$R"
check "install over an unchanged config removes a stale .new" test ! -e "$R/etc/logsieve/logsieve.toml.new"

# --- uninstall -------------------------------------------------------------------------
run_capture "$HERE/uninstall.sh" --root "$R"
if ((RC == 0)); then pass "uninstall.sh --root succeeds"; else fail "uninstall.sh --root succeeds" "$OUT"; fi
left="$(cd "$R" && find . \( -type f -o -type l \) ! -path './var/lib/logsieve/*' \
	! -path ./etc/nginx/sites-available/default ! -path ./etc/nginx/sites-enabled/default | sort)"
check "uninstall leaves only the data dir (and the distro's default site)" test -z "$left"
[[ -z "$left" ]] || printf '      left behind: %s\n' "$left"
check "uninstall removes /opt/logsieve" test ! -e "$R/opt/logsieve"
check "uninstall removes /etc/logsieve" test ! -e "$R/etc/logsieve"
check "uninstall removes the bash completion" test ! -e "$R/usr/share/bash-completion/completions/logsieve"
check "uninstall keeps data" test -f "$R/var/lib/logsieve/engines/demo/2025-01-01.sqlite3"
check "uninstall re-enables the default site" \
	test "$(readlink -f "$R/etc/nginx/sites-enabled/default")" = "$R/etc/nginx/sites-available/default"

run_capture "$HERE/uninstall.sh" --root "$R" --purge
if ((RC == 0)); then pass "uninstall.sh --purge succeeds again"; else fail "uninstall.sh --purge succeeds again" "$OUT"; fi
check "uninstall --purge deletes the data dir" test ! -e "$R/var/lib/logsieve"

# An install that never disabled the default site must not enable one on uninstall.
R2="$TMP/root-no-nginx"
run_capture install_sh --root "$R2" --no-nginx --no-start
if ((RC == 0)); then pass "install.sh --no-nginx succeeds"; else fail "install.sh --no-nginx succeeds" "$OUT"; fi
check "--no-nginx writes no nginx site" test ! -e "$R2/etc/nginx"
check "--no-nginx makes no certificate" test ! -e "$R2/etc/logsieve/tls"
check "--no-nginx prints the plain HTTP URL" test "${OUT/http:\/\/127.0.0.1:8080/}" != "$OUT"
run_capture "$HERE/uninstall.sh" --root "$R2"
check "uninstall after --no-nginx creates no nginx files" test ! -e "$R2/etc/nginx"

# --- the real (non --root) path, in a private mount namespace ---------------------------
# /etc, /opt and /var/lib are replaced by copies inside the namespace, and systemctl,
# sysctl and apt-get by stubs that log their calls (the systemctl stub plays the server:
# "restart logsieve" writes the metadata DB and the initial admin password), so the real
# code path runs (useradd, chown, nginx -t) without touching this machine.
if ((EUID == 0)) && unshare --mount --propagation private --fork true 2>/dev/null; then
	S="$TMP/system"
	mkdir -p "$S/etc" "$S/opt" "$S/varlib" "$S/stub"
	cp -a /etc/. "$S/etc/"
	if [[ -d /var/lib/nginx ]]; then cp -a /var/lib/nginx "$S/varlib/"; fi
	{
		printf '#!/bin/sh\necho "systemctl $*" >>"%s/calls"\n' "$S"
		printf 'if [ "$*" = "restart logsieve" ]; then\n'
		printf '  : >/var/lib/logsieve/logsieve.db\n'
		printf '  echo Initial-Pass-123 >/var/lib/logsieve/initial-admin-password\n'
		printf 'fi\n'
	} >"$S/stub/systemctl"
	printf '#!/bin/sh\necho "sysctl $*" >>"%s/calls"\n' "$S" >"$S/stub/sysctl"
	printf '#!/bin/sh\necho "apt-get $*" >>"%s/calls"\nexit 1\n' "$S" >"$S/stub/apt-get"
	chmod 0755 "$S/stub/"*
	# inner: runs inside the namespace; $1 = the staging folder S.
	# shellcheck disable=SC2016 # expanded by the inner bash.
	inner='
set -u
S="$1"
mount --bind "$S/etc" /etc && mount --bind "$S/opt" /opt && mount --bind "$S/varlib" /var/lib || exit 1
export PATH="$S/stub:$PATH"
state() {
	getent passwd logsieve || echo "no user logsieve"
	stat -c "%n %U:%G %a" /opt/logsieve/bin/logsieve /etc/logsieve /etc/logsieve/logsieve.toml \
		/etc/logsieve/tls/logsieve.key /var/lib/logsieve 2>&1
	ls -A /etc/nginx/sites-enabled
}
"$HERE/install.sh" >"$S/install1.out" 2>&1; echo $? >"$S/install1.rc"
state >"$S/state1"
"$HERE/install.sh" >"$S/install2.out" 2>&1; echo $? >"$S/install2.rc"
"$HERE/uninstall.sh" --purge >"$S/uninstall.out" 2>&1; echo $? >"$S/uninstall.rc"
state >"$S/state2"
'
	HERE="$HERE" LOGSIEVE_BINARY="$BINARY" \
		unshare --mount --propagation private --fork bash -c "$inner" inner "$S"

	check "real install exits 0" grep -qx 0 "$S/install1.rc"
	grep -qx 0 "$S/install1.rc" || sed 's/^/      /' "$S/install1.out"
	check "real install prints the initial admin password" grep -q 'initial admin password: Initial-Pass-123' "$S/install1.out"
	check "real install prints an https URL" grep -q 'URL: https://' "$S/install1.out"
	check "real install creates system user logsieve without a login shell" \
		grep -Eq '^logsieve:x:[0-9]+:[0-9]+:[^:]*:/var/lib/logsieve:/usr/sbin/nologin$' "$S/state1"
	for want in '/opt/logsieve/bin/logsieve root:root 755' '/etc/logsieve root:logsieve 750' \
		'/etc/logsieve/logsieve.toml root:logsieve 640' '/etc/logsieve/tls/logsieve.key root:root 600' \
		'/var/lib/logsieve logsieve:logsieve 750'; do
		check "real install: $want" grep -qx "$want" "$S/state1"
	done
	check "real install disables the default site" test "$(tail -n +7 "$S/state1")" = logsieve.conf
	for want in 'systemctl daemon-reload' 'systemctl enable logsieve' 'systemctl restart logsieve' \
		'systemctl reload-or-restart nginx' 'sysctl --system' 'systemctl disable --now logsieve'; do
		check "real run calls $want" grep -qx "$want" "$S/calls"
	done
	check "real run never calls apt-get when nginx and openssl are present" test -z "$(grep apt-get "$S/calls")"
	check "real re-install exits 0" grep -qx 0 "$S/install2.rc"
	check "real re-install reports an upgrade with data kept" grep -q 'existing data kept' "$S/install2.out"
	check "real uninstall --purge exits 0" grep -qx 0 "$S/uninstall.rc"
	grep -qx 0 "$S/uninstall.rc" || sed 's/^/      /' "$S/uninstall.out"
	check "real uninstall --purge removes the user" grep -qx 'no user logsieve' "$S/state2"
	check "real uninstall --purge removes every file" test "$(grep -c 'No such file' "$S/state2")" -eq 5
	check "real uninstall restores only the default site" test "$(tail -n 1 "$S/state2")" = default
else
	skip "real install path: needs root and unshare --mount"
fi

# --- dist.sh ---------------------------------------------------------------------------
run_capture env LOGSIEVE_BINARY="$TMP/missing" DIST_DIR="$TMP/dist" "$HERE/dist.sh" 1.2.3
if ((RC != 0)) && [[ "$OUT" == *"make build"* ]]; then
	pass "dist.sh without a binary fails and says to run make build"
else
	fail "dist.sh without a binary fails and says to run make build" "exit $RC: $OUT"
fi
run_capture "$HERE/dist.sh"
check "dist.sh without a version fails" test "$RC" -ne 0

run_capture env LOGSIEVE_BINARY="$BINARY" DIST_DIR="$TMP/dist" "$HERE/dist.sh" 1.2.3
TARBALL="$TMP/dist/logsieve-1.2.3-linux-amd64.tar.gz"
if ((RC == 0)) && [[ -f "$TARBALL" ]]; then pass "dist.sh makes $(basename "$TARBALL")"; else fail "dist.sh makes the tarball" "$OUT"; fi
listing="$(tar -tzf "$TARBALL" 2>/dev/null)"
for entry in bin/logsieve installer/install.sh installer/uninstall.sh configs/logsieve.toml \
	systemd/logsieve.service nginx/logsieve.conf completions/logsieve.bash LICENSE man/logsieve.1; do
	check "tarball holds logsieve-1.2.3/$entry" grep -qx "logsieve-1.2.3/$entry" <<<"$listing"
done
check "tarball has one top folder" test "$(cut -d/ -f1 <<<"$listing" | sort -u)" = logsieve-1.2.3
check "tarball leaves out the installer test suites (installer/test.sh, test-system.sh)" \
	test -z "$(grep -Ex 'logsieve-1.2.3/installer/test(-system)?\.sh' <<<"$listing")"
mkdir -p "$TMP/unpacked"
tar -xzf "$TARBALL" -C "$TMP/unpacked"
R3="$TMP/root-from-tarball"
run_capture "$TMP/unpacked/logsieve-1.2.3/installer/install.sh" --root "$R3" --no-nginx
if ((RC == 0)); then pass "install.sh from the unpacked tarball succeeds"; else fail "install.sh from the unpacked tarball succeeds" "$OUT"; fi
check "tarball install uses the packed binary" cmp -s "$BINARY" "$R3/opt/logsieve/bin/logsieve"
check "tarball install puts the bash completion in place" test -f "$R3/usr/share/bash-completion/completions/logsieve"
check "tarball install puts the man page in /usr/local/share/man/man1" test -s "$R3/usr/local/share/man/man1/logsieve.1"

printf 'installer: %d passed, %d failed\n' "$PASSED" "$FAILED"
((FAILED == 0))
