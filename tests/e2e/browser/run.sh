#!/usr/bin/env bash
# The browser tests, as CTest runs them (label e2e;db): a fresh database in the PostgreSQL
# that PG* names (pg_virtualenv), `tincay serve` on a free port against it, accounts made
# with the CLI, then `node --test` over tests/e2e/browser/*.test.mjs driving Debian's
# Chromium through playwright-core. Exit 77 (skipped) when something it needs is missing,
# unless TINCAY_TEST_REQUIRE_DB=1, which makes that a failure.
#
#   usage: run.sh path/to/tincay
#   TINCAY_SCREENSHOTS=1 also rewrites docs/screenshots/*.png.
set -uo pipefail

bin=$(realpath "$1")
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
e2e=$(dirname "$here")
chromium=${TINCAY_CHROMIUM:-/usr/bin/chromium}

skip() {
    if [[ "${TINCAY_TEST_REQUIRE_DB:-}" == 1 ]]; then
        echo "browser tests cannot run: $*" >&2
        exit 1
    fi
    echo "browser tests skipped: $*"
    exit 77
}

[[ -n "${PGHOST:-}${PGPORT:-}${PGDATABASE:-}" ]] || skip "no PostgreSQL named by PG* (run under pg_virtualenv)"
[[ -x "$chromium" ]] || skip "no Chromium at $chromium"
command -v node >/dev/null || skip "no node"
[[ -d "$e2e/node_modules/playwright-core" ]] || skip "playwright-core is not installed (npm ci in tests/e2e)"
psql -XqAt -d postgres -c 'SELECT 1' >/dev/null 2>&1 || skip "PostgreSQL is not reachable"

work=$(mktemp -d -t tincay-e2e.XXXXXX)
db="tincay_e2e_$$_${RANDOM}"
server=""

cleanup() {
    if [[ -n "$server" ]] && kill -0 "$server" 2>/dev/null; then
        kill -TERM "$server"
        wait "$server"
    fi
    dropdb --if-exists "$db" >/dev/null 2>&1
    rm -rf "$work"
}
trap cleanup EXIT

createdb "$db" || exit 1
export PGDATABASE=$db
export TINCAY_DATA_DIR=$work/data
# The serve process runs under the sanitizers of the build; leaks are checked at its exit.
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=1}

"$bin" migrate >/dev/null || exit 1
# The demonstration data (docs/review.md) for the review and reports pages: it needs an empty
# database, so it comes before the accounts below. Its accounts' passwords are printed once.
"$bin" demo load --forms "$(cd "$e2e/../.." && pwd)/forms" >"$work/demo.out" || exit 1
export TINCAY_DEMO_ACCOUNTS=$work/demo.out

# Accounts of the tests: login role language [commune]. One password for all of them.
password="e2e-$(head -c 12 /dev/urandom | od -An -tx1 | tr -d ' \n')"
add_user() {
    local login=$1 role=$2 language=$3 name=$4
    shift 4
    printf '%s\n' "$password" |
        "$bin" user add "$login" --role "$role" --language "$language" --name "$name" "$@" >/dev/null
}
add_user e2e.admin admin vi "Nguyễn Thị Hoa" || exit 1
add_user e2e.english admin vi "Lò Thị Mai" || exit 1
add_user e2e.reader viewer en "Hà Thị Linh" --commune 03388 || exit 1
add_user e2e.reviewer reviewer vi "Vàng Thị Dung" --commune 03388 || exit 1
add_user e2e.leaver collector vi "Lường Thị Thu" || exit 1
add_user e2e.changer collector vi "Mùa Thị Pằng" || exit 1
# A Trusted Address unit of the demonstration province and a host who joined it through an
# invitation of the province's escrow officer (case.test.mjs); made-up names.
add_user e2e.escrow escrow vi "Phan Thị Ký Quỹ" --province 12 || exit 1
add_user e2e.host host vi "Đinh Thị Thử" --commune 03390 || exit 1
"$bin" form add "$(cd "$e2e/../.." && pwd)/forms/dctc_case.xml" >/dev/null || exit 1
"$bin" unit add E2E-DCTC --name "Địa chỉ tin cậy Thử Nghiệm" --commune 03390 >/dev/null || exit 1
invitation=$(printf '%s\n' "$password" | "$bin" unit invite E2E-DCTC --by e2e.escrow | sed -n 2p)
[[ -n "$invitation" ]] || exit 1
printf '%s\n%s\n' "$invitation" "$password" | "$bin" unit join e2e.host >/dev/null || exit 1

# Loopback stands for a TLS-terminating proxy too: a test sends X-Forwarded-Proto: https.
TINCAY_LISTEN=127.0.0.1:0 TINCAY_TRUSTED_PROXY=127.0.0.1 "$bin" serve >"$work/serve.out" 2>"$work/serve.err" &
server=$!
port=""
for _ in $(seq 1 300); do
    port=$(sed -n 's/.*listening on [^ ]* port \([0-9][0-9]*\).*/\1/p' "$work/serve.out")
    [[ -n "$port" ]] && break
    kill -0 "$server" 2>/dev/null || break
    sleep 0.1
done
if [[ -z "$port" ]]; then
    echo "tincay serve did not start" >&2
    cat "$work/serve.err" >&2
    exit 1
fi

export TINCAY_URL="http://127.0.0.1:$port"
export TINCAY_E2E_PASSWORD=$password
export TINCAY_CHROMIUM=$chromium
export TINCAY_SCREENSHOT_DIR=${TINCAY_SCREENSHOT_DIR:-$(cd "$e2e/../.." && pwd)/docs/screenshots}
export NODE_PATH=$e2e/node_modules

node --test --test-concurrency=1 "$here"/
status=$?

kill -TERM "$server"
wait "$server"
server_status=$?
server=""
if [[ $server_status -ne 0 ]]; then
    echo "tincay serve exited with status $server_status" >&2
    status=1
fi
if [[ $status -ne 0 ]]; then
    echo "---- tincay serve log ----" >&2
    tail -n 50 "$work/serve.err" >&2
fi
exit $status
