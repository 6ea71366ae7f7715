#!/usr/bin/env bash
# Regenerates logsieve.db here: the metadata DB of a data dir made by the previous
# release, for TestOpenUpgradesTheFirstReleasesDataDir. There is no release tag; the
# previous release is the first wave's last commit, a932f44 (2026-11-27), before the
# second wave added stream engines, syslog headers and the spool. Its binary is built
# from a temporary git worktree of that commit (no UI), serves a fresh data dir on a free
# port while curl creates what an operator would have (a viewer, a class, two engines,
# clients, changed settings), and stops with SIGTERM, which checkpoints the WAL into
# logsieve.db.
#
# usage: backend/meta/testdata/release1/regen.sh [COMMIT]   (needs go, git, curl, python3)
set -euo pipefail
commit="${1:-a932f44}"
here="$(cd "$(dirname "$0")" && pwd)"
repo="$(git -C "$here" rev-parse --show-toplevel)"
tmp="$(mktemp -d)"
pid=""
cleanup() {
	[[ -n "$pid" ]] && kill "$pid" 2>/dev/null || true
	git -C "$repo" worktree remove --force "$tmp/src" 2>/dev/null || true
	rm -rf "$tmp"
}
trap cleanup EXIT

git -C "$repo" worktree add --quiet --detach "$tmp/src" "$commit"
(cd "$tmp/src" && CGO_ENABLED=1 go build -tags no_ui -o "$tmp/logsieve" ./backend/cmd/logsieve)

port="$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')"
base="http://127.0.0.1:$port"
LOGSIEVE_DEMO=0 LOGSIEVE_ADMIN_PASSWORD='release1 admin pw' \
	"$tmp/logsieve" serve --data "$tmp/data" --http "127.0.0.1:$port" 2>"$tmp/serve.log" &
pid=$!
for _ in $(seq 100); do curl -fsS "$base/healthz" >/dev/null 2>&1 && break; sleep 0.1; done

token="$(curl -fsS -X POST "$base/api/v1/auth/login" -H 'Content-Type: application/json' \
	-d '{"username":"admin","password":"release1 admin pw"}' | python3 -c 'import json,sys; print(json.load(sys.stdin)["token"])')"
call() { # METHOD PATH [JSON]
	curl -fsS -X "$1" "$base/api/v1$2" -H "Authorization: Bearer $token" -H 'Content-Type: application/json' ${3:+-d "$3"} >/dev/null
}
call POST /users '{"username":"viewer1","password":"release1 viewer pw","role":"viewer"}'
call POST /classes '{"name":"fw","patterns":{"src_ip":"SRC=(\\S+)","action":"action=(\\w+)"},"keys":["src_ip","action"]}'
# Disabled engines: nothing binds, and the upgraded binary starts none of them.
call POST /engines '{"name":"edge","class":"fw","bind":"127.0.0.1","port":5599,"timezone":"Europe/Berlin","retention_days":14,"enabled":false}'
call POST /engines '{"name":"core","class":"mikrotik","bind":"127.0.0.1","port":5598,"timezone":"UTC","keep_original":false,"enabled":false}'
call POST /engines/edge/clients '{"name":"branch","match":"10.1.0.0/16"}'
call POST /engines/edge/clients '{"name":"hq","match":"10.0.*"}'
call PUT /settings '{"min_free_percent":15,"default_retention_days":60,"log_level":"warn"}'

kill -TERM "$pid"
wait "$pid" || true
pid=""
cp "$tmp/data/logsieve.db" "$here/logsieve.db"
"$tmp/logsieve" version >"$here/VERSION" 2>&1 || true
echo "$commit" >>"$here/VERSION"
echo "wrote $here/logsieve.db ($(stat -c %s "$here/logsieve.db") bytes) from $commit"
