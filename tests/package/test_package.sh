#!/usr/bin/env bash
# The Debian package on this machine: builds it with scripts/package, installs it with dpkg -i,
# checks the natter user and every file, reinstalls it over an edited conffile, runs /usr/bin/natter --version and a short chat (two
# users, one message each way) against the installed binary running as the natter user in
# /var/lib/natter, then removes and purges it and checks nothing is left. Needs root (or
# password-less sudo) on a machine where natter is not installed: it changes the system.
# Without them it fails; it never skips.
set -euo pipefail
cd "$(dirname "$0")/../.."

fail() { echo "test_package: FAILURE: $*" >&2; exit 1; }
step() { echo "test_package: $*"; }

as_root=()
if [ "$(id -u)" -ne 0 ]; then
  sudo -n true 2>/dev/null || fail "needs root or password-less sudo to install a package"
  as_root=(sudo -n)
fi
root() { "${as_root[@]}" "$@"; }

if dpkg-query -W -f='${Status}' natter 2>/dev/null | grep -q installed; then
  fail "a natter package is already installed here; this test installs and purges its own"
fi
getent passwd natter >/dev/null && fail "a natter user exists already"
[ -e /var/lib/natter ] && fail "/var/lib/natter exists already"

start=$(date +%s)
deb=$(scripts/package)
[ -f "$deb" ] || fail "scripts/package made no $deb"
step "built $deb ($(du -h "$deb" | cut -f1))"

control=$(dpkg-deb --field "$deb")
echo "$control" | grep -q '^Package: natter$' || fail "control: $control"
depends=$(dpkg-deb --field "$deb" Depends)
echo "$depends" | grep -q 'libc6 (>= ' || fail "Depends lacks libc6: $depends"
echo "$depends" | grep -q 'adduser' || fail "Depends lacks adduser: $depends"
[ "$(dpkg-deb --ctrl-tarfile "$deb" | tar -xO ./conffiles)" = /etc/natter/natter.env ] \
  || fail "conffiles is not /etc/natter/natter.env"

port=$(/usr/bin/python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
pid=
cleanup() {
  if [ -n "$pid" ]; then root kill "$pid" 2>/dev/null || true; fi
  if dpkg-query -W -f='${Status}' natter 2>/dev/null | grep -q installed; then
    root dpkg -P natter >/dev/null 2>&1 || true
  fi
}
trap cleanup EXIT

root dpkg -i "$deb" >/dev/null || fail "dpkg -i $deb"
step "installed"
dpkg-query -W -f='${Status}' natter | grep -q 'install ok installed' || fail "not installed"

getent passwd natter >/dev/null || fail "no natter user"
getent group natter >/dev/null || fail "no natter group"
[ "$(getent passwd natter | cut -d: -f6)" = /var/lib/natter ] || fail "natter's home is not /var/lib/natter"
uid=$(id -u natter)
[ "$uid" -lt 1000 ] || fail "natter is not a system user (uid $uid)"
[ "$(stat -c '%U:%G %a' /var/lib/natter)" = "natter:natter 750" ] \
  || fail "/var/lib/natter is $(stat -c '%U:%G %a' /var/lib/natter)"

for f in /usr/bin/natter /lib/systemd/system/natter.service /etc/natter/natter.env \
         /usr/share/doc/natter/README.md /usr/share/doc/natter/protocol.md \
         /usr/share/doc/natter/openapi.yaml /usr/share/doc/natter/copyright \
         /usr/share/doc/natter/changelog.gz; do
  [ -f "$f" ] || fail "$f is missing"
done
[ "$(stat -c '%U %a' /usr/bin/natter)" = "root 755" ] || fail "/usr/bin/natter: $(stat -c '%U %a' /usr/bin/natter)"
[ "$(stat -c '%a' /etc/natter/natter.env)" = 640 ] || fail "natter.env is not 0640"
readelf -S /usr/bin/natter | grep -q '\.debug_info\|\.symtab' && fail "/usr/bin/natter is not stripped"
unit=/lib/systemd/system/natter.service
for line in ExecStart=/usr/bin/natter User=natter Group=natter StateDirectory=natter \
            WorkingDirectory=/var/lib/natter EnvironmentFile=/etc/natter/natter.env; do
  grep -qx "$line" "$unit" || fail "$unit lacks $line"
done
grep -q '^DynamicUser' "$unit" && fail "$unit still has DynamicUser"
if command -v systemd-analyze >/dev/null; then
  # Without systemd as PID 1 only the unit's syntax can be checked.
  out=$(systemd-analyze verify "$unit" 2>&1 | grep -v -e 'Failed to .*bus' -e 'No such file' || true)
  echo "$out" | grep -qi "unknown\|invalid\|bad" && fail "systemd-analyze verify: $out"
fi
[ -e /etc/systemd/system/multi-user.target.wants/natter.service ] \
  && fail "installing enabled the service"
step "user, files and unit in place"

# Reinstalling keeps an operator's edits to the conffile.
echo "NATTER_SERVER_NAME=edited-by-the-operator" | root tee -a /etc/natter/natter.env >/dev/null
root dpkg -i "$deb" >/dev/null || fail "dpkg -i $deb over an installed natter"
grep -qx NATTER_SERVER_NAME=edited-by-the-operator /etc/natter/natter.env \
  || fail "reinstalling overwrote the edited /etc/natter/natter.env"
[ "$(stat -c '%U:%G' /var/lib/natter)" = natter:natter ] || fail "reinstalling changed /var/lib/natter"
step "reinstalled over an edited natter.env, which was kept"

version=$(dpkg-deb --field "$deb" Version)
said=$(/usr/bin/natter --version) || fail "/usr/bin/natter --version exits $?"
[[ "$said" == "natter $version"* ]] || fail "--version says '$said', the package is $version"
step "/usr/bin/natter --version: $said"

log=$(mktemp)
root chmod 0644 "$log"
# As the unit runs it: the natter user, working directory /var/lib/natter (the default store,
# sqlite:natter.db, lands there). runuser -u starts the binary directly, so $! is natter.
(cd /var/lib/natter && exec "${as_root[@]}" runuser -u natter -- /usr/bin/natter --dev \
   --listen "127.0.0.1:$port" >"$log" 2>&1) &
pid=$!
/usr/bin/python3 - "$port" <<'EOF' || { cat "$log" >&2; fail "chat against the installed natter"; }
import asyncio, json, sys, time, urllib.request
import websockets

port = int(sys.argv[1])
base = f"http://127.0.0.1:{port}"

def get(path):
    with urllib.request.urlopen(base + path, timeout=2) as r:
        return r.read().decode()

deadline = time.monotonic() + 10
while True:
    try:
        if json.loads(get("/healthz"))["status"] == "ok":
            break
    except OSError:
        if time.monotonic() > deadline:
            raise
        time.sleep(0.1)

async def expect(ws, kind, text):
    while True:
        frame = json.loads(await asyncio.wait_for(ws.recv(), 5))
        if frame["type"] == kind and frame["payload"]["message"] == text:
            return frame

async def main():
    alice, bob = get("/dev/token?username=alice"), get("/dev/token?username=bob")
    async with websockets.connect(f"ws://127.0.0.1:{port}/ws?token={alice}") as a, \
            websockets.connect(f"ws://127.0.0.1:{port}/ws?token={bob}") as b:
        for ws in (a, b):  # joined: their connect sequences are through
            while json.loads(await asyncio.wait_for(ws.recv(), 5))["type"] != "connected_users":
                pass
        await a.send(json.dumps({"type": "chat_message", "channel": "general",
                                 "message": "hello from the package"}))
        frame = await expect(b, "chat_message", "hello from the package")
        assert frame["sender"] == "alice", frame
        await b.send(json.dumps({"type": "private_chat_message", "recipient_id": "dev-alice",
                                 "message": "hello back"}))
        frame = await expect(a, "private_chat_message", "hello back")
        assert frame["sender"] == "bob", frame

asyncio.run(main())
EOF
step "chat: alice and bob exchanged a message each way"
owner=$(stat -c %U /var/lib/natter/natter.db 2>/dev/null) || fail "no /var/lib/natter/natter.db"
[ "$owner" = natter ] || fail "natter.db belongs to $owner"
natter_pid=$(pgrep -u natter -x natter) || fail "natter is not running as the natter user"
root kill -TERM "$natter_pid"
wait "$pid" || fail "natter exited with $? on SIGTERM: $(tail -5 "$log")"
pid=
rm -f "$log"
step "natter ran as the natter user and stopped on SIGTERM"

root dpkg -r natter >/dev/null || fail "dpkg -r natter"
[ -e /usr/bin/natter ] && fail "/usr/bin/natter is left after dpkg -r"
[ -e /lib/systemd/system/natter.service ] && fail "the unit is left after dpkg -r"
[ -f /etc/natter/natter.env ] || fail "dpkg -r removed the conffile (only a purge should)"
step "removed (the conffile stays)"

root dpkg -P natter >/dev/null || fail "dpkg -P natter"
dpkg-query -W -f='${Status}' natter 2>/dev/null | grep -q 'ok installed\|config-files' \
  && fail "dpkg still knows natter after the purge"
getent passwd natter >/dev/null && fail "the natter user is left after the purge"
getent group natter >/dev/null && fail "the natter group is left after the purge"
for f in /usr/bin/natter /etc/natter /var/lib/natter /usr/share/doc/natter; do
  [ -e "$f" ] && fail "$f is left after the purge"
done
left=$(compgen -G '/usr/bin/*natter*' || true)
[ -z "$left" ] || fail "left in /usr/bin: $left"
trap - EXIT
step "purged: no user, no files; passed in $(( $(date +%s) - start )) s"
