#!/usr/bin/env bash
# Image smoke test: builds the container image from the repository's Dockerfile and runs it for real.
#
#   deploy/image-smoke.sh            (as root; CI runs it last, from .ci/run)
#
# 1. Starts its own dockerd (no bridge, no iptables; its own data-root, exec-root, socket and pidfile) and
#    stops it on exit, failure included. If dockerd is missing (after trying apt-get install docker.io), we are
#    not root, or the daemon or a first container cannot start, it says why and exits 0: CI on a machine
#    without Docker passes. From there on, every failure exits non-zero.
# 2. Makes a Debian bookworm base image offline (debootstrap --variant=minbase + openjdk-17-jre-headless,
#    curl, ca-certificates; `docker import`) once, and keeps it: as an image in the daemon's data-root and as a
#    rootfs tarball under $CACHE. Docker Hub is not reachable here, so this base stands in for every FROM
#    (BUILD_BASE, CPU_BASE, CUDA_BASE); nothing else differs from the image the README builds.
# 3. Builds the image (legacy builder, host network) from the shaded jar built on the host
#    (--build-arg JAR=controller/target/specserve.jar; `mvn package` runs first only if the jar is missing or
#    older than the sources), and checks `docker history` and the image config for secrets.
# 4. `docker run` with host networking on free loopback ports: /ready, one completion at temperature 0, the
#    image's HEALTHCHECK reaching `healthy`, the non-root user, the bundled models found, `docker stop` within
#    10 s and a log without ERROR lines, stack traces or Kafka client WARN lines (other WARN lines are listed,
#    not failed; SMOKE_STRICT=0 tolerates the old embedded-broker shutdown race).
# 5. Compose: `docker-compose -f docker-compose.yml -f docker-compose.cpu.yml -f deploy/docker-compose.smoke.yml
#    up -d --no-deps specserve-cpu` (docker-compose v1 from Debian, installed if missing): the real service
#    definition (environment, named volumes, user, port publishing on 127.0.0.1, healthcheck, stop grace) with
#    the smoke image and the in-process Kafka broker, since no Kafka image can be pulled. Then /ready, a
#    completion through the published port, the admin token, `healthy` from compose's healthcheck, and
#    `docker-compose stop` within 10 s with a clean log. SMOKE_COMPOSE=0 skips this part.
#
# Environment: SMOKE_STATE (daemon data-root and logs, default /var/lib/specserve-smoke), SMOKE_CACHE (rootfs
# tarball, default /var/cache/specserve-smoke), SMOKE_INSTALL=0 (never apt-get install), SMOKE_COMPOSE=0,
# SMOKE_REBUILD_BASE=1 (make the base again), DOCKERD (the daemon binary to use).
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD

T0=$(date +%s)
say() { printf '[image-smoke +%3ss] %s\n' "$(($(date +%s) - T0))" "$*"; }
SKIPPED=0
skip() { say "SKIP: $*"; say "no Docker here: the image smoke test did not run (exit 0)"; SKIPPED=1; exit 0; }
fail() { say "FAIL: $*" >&2; exit 1; }

STATE=${SMOKE_STATE:-/var/lib/specserve-smoke}
CACHE=${SMOKE_CACHE:-/var/cache/specserve-smoke}
RUNDIR=/run/specserve-smoke             # exec-root, socket, pidfile (a fixed path, so a stale daemon is found)
LOGS=$STATE/last-run                    # logs of the latest run, kept for inspection
IMAGE=specserve:smoke
JAR=controller/target/specserve.jar
PROJECT=specserve-smoke                 # compose project name
SUITE=bookworm
MIRROR=http://deb.debian.org/debian
BASE_PKGS="openjdk-17-jre-headless curl ca-certificates"
# The base image's tag changes with its recipe, so an edited package list makes a new base.
BASE_KEY=$(printf '%s|%s|%s|v2' "$SUITE" "$MIRROR" "$BASE_PKGS" | sha256sum | cut -c1-12)
BASE=specserve-smoke/debian-base:$SUITE-$BASE_KEY
BASE_TAR=$CACHE/debian-base-$SUITE-$BASE_KEY.tar

export DEBIAN_FRONTEND=noninteractive
CONTAINER="" COMPOSE_UP=0 DOCKERD_PID="" PROC_MOUNT="" BUILT=0

# ---------------------------------------------------------------------------------------------------- preflight
[ "$(id -u)" = 0 ] || skip "not root: dockerd needs root privileges here (run as root, as CI does)"

DOCKERD=${DOCKERD:-$(command -v dockerd || true)}
if [ -z "$DOCKERD" ] && [ "${SMOKE_INSTALL:-1}" != 0 ] && command -v apt-get >/dev/null 2>&1; then
  say "dockerd missing: apt-get install docker.io"
  { apt-get update -q && apt-get install -y -q --no-install-recommends docker.io; } >/tmp/specserve-smoke-apt.log 2>&1 \
    || say "apt-get install docker.io failed (see /tmp/specserve-smoke-apt.log)"
  DOCKERD=$(command -v dockerd || true)
fi
[ -n "$DOCKERD" ] && [ -x "$DOCKERD" ] || skip "no dockerd binary${DOCKERD:+ at $DOCKERD}"
# The client that came with the daemon, when there is one (a newer client also works: it negotiates the API).
DOCKER_BIN=/usr/bin/docker
[ -x "$DOCKER_BIN" ] || DOCKER_BIN=$(command -v docker || true)
[ -n "$DOCKER_BIN" ] || skip "dockerd is installed but there is no docker client"

mkdir -p "$STATE" "$CACHE" "$RUNDIR"
exec 9>"$STATE/lock"
flock -w 900 9 || fail "another image smoke test holds $STATE/lock"
rm -rf "$LOGS" && mkdir -p "$LOGS"

export DOCKER_HOST=unix://$RUNDIR/docker.sock
export DOCKER_BUILDKIT=0                # no buildx here; the legacy builder
export COMPOSE_DOCKER_CLI_BUILD=0
docker() { "$DOCKER_BIN" "$@"; }

stop_dockerd() {
  local pid=$1 i
  kill -TERM "$pid" 2>/dev/null || return 0
  for i in $(seq 1 60); do kill -0 "$pid" 2>/dev/null || return 0; sleep 0.5; done
  say "dockerd $pid did not stop in 30 s: SIGKILL"
  kill -KILL "$pid" 2>/dev/null || true
}

cleanup() {
  local rc=$?
  set +e
  trap - EXIT INT TERM
  if [ "$rc" != 0 ]; then
    for f in $([ "$BUILT" = 1 ] || echo "$LOGS/build.log") "$LOGS/compose.log"; do
      [ -s "$f" ] && { echo "---- last lines of $f"; tail -n 40 "$f"; }
    done
  fi
  if [ -n "$PROC_MOUNT" ]; then umount "$PROC_MOUNT" 2>/dev/null; fi
  if [ -n "$DOCKERD_PID" ]; then
    [ -n "$CONTAINER" ] && docker rm -f -v "$CONTAINER" >/dev/null 2>&1
    [ "$COMPOSE_UP" = 1 ] && compose down -v --remove-orphans >/dev/null 2>&1
    stop_dockerd "$DOCKERD_PID"
    umount "$RUNDIR/exec/netns/default" 2>/dev/null   # the daemon's netns bind mount outlives it
    say "dockerd stopped"
  fi
  if [ "$SKIPPED" = 1 ]; then :
  elif [ "$rc" = 0 ]; then say "PASS (${SECONDS}s)"
  else say "FAILED (exit $rc; logs in $LOGS)"
  fi
  exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# A daemon left behind by a run that was killed (SIGKILL skips the trap) holds the pidfile: stop it first.
if [ -s "$RUNDIR/dockerd.pid" ]; then
  old=$(cat "$RUNDIR/dockerd.pid")
  if kill -0 "$old" 2>/dev/null && grep -q dockerd "/proc/$old/cmdline" 2>/dev/null; then
    say "stopping a dockerd ($old) left by an earlier run"
    stop_dockerd "$old"
  fi
  rm -f "$RUNDIR/dockerd.pid"
fi

say "starting dockerd ($("$DOCKERD" --version 2>/dev/null | head -n1)) with data-root $STATE/docker"
"$DOCKERD" --bridge=none --iptables=false --ip-masq=false \
  --data-root "$STATE/docker" --exec-root "$RUNDIR/exec" --pidfile "$RUNDIR/dockerd.pid" \
  --host "$DOCKER_HOST" --containerd-namespace specserve-smoke --containerd-plugins-namespace specserve-smoke-plugins \
  >"$LOGS/dockerd.log" 2>&1 &
DOCKERD_PID=$!
for i in $(seq 1 60); do
  docker version >/dev/null 2>&1 && break
  if ! kill -0 "$DOCKERD_PID" 2>/dev/null; then
    DOCKERD_PID=""
    tail -n 15 "$LOGS/dockerd.log" | sed 's/^/  dockerd: /'
    skip "dockerd exited at start-up (privileges, cgroups or storage driver; log above)"
  fi
  sleep 0.5
done
docker version >/dev/null 2>&1 || { tail -n 15 "$LOGS/dockerd.log" | sed 's/^/  dockerd: /'; skip "dockerd did not answer within 30 s"; }
say "dockerd up: $(docker info --format '{{.ServerVersion}}, {{.Driver}}, cgroup v{{.CgroupVersion}}')"

# ---------------------------------------------------------------------------------------------------- base image
make_base() {
  if ! command -v debootstrap >/dev/null 2>&1; then
    [ "${SMOKE_INSTALL:-1}" != 0 ] || fail "debootstrap is missing and SMOKE_INSTALL=0"
    say "installing debootstrap (apt-get)"
    { apt-get update -q && apt-get install -y -q --no-install-recommends debootstrap; } >"$LOGS/apt.log" 2>&1 \
      || fail "apt-get install debootstrap failed (see $LOGS/apt.log)"
  fi
  local rootfs old
  for old in "$CACHE"/rootfs.*; do   # left by a killed run; never rm -rf through a mount still in place
    [ -d "$old" ] || continue
    grep -o " $old/[^ ]*" /proc/mounts | sort -r | xargs -r -n1 umount -l 2>/dev/null || true
    grep -q " $old/" /proc/mounts || rm -rf "$old"
  done
  rootfs=$(mktemp -d "$CACHE/rootfs.XXXXXX")
  say "debootstrap --variant=minbase $SUITE (about 2 min)"
  debootstrap --variant=minbase "$SUITE" "$rootfs" "$MIRROR" >"$LOGS/debootstrap.log" 2>&1 \
    || { tail -n 20 "$LOGS/debootstrap.log"; rm -rf "$rootfs"; fail "debootstrap failed"; }
  say "installing $BASE_PKGS into the rootfs"
  cp /etc/resolv.conf "$rootfs/etc/resolv.conf"
  # As in the official debian/ubuntu images: apt keeps no package caches in image layers.
  cat >"$rootfs/etc/apt/apt.conf.d/docker-clean" <<'EOF'
DPkg::Post-Invoke { "rm -f /var/cache/apt/archives/*.deb /var/cache/apt/archives/partial/*.deb /var/cache/apt/*.bin || true"; };
APT::Update::Post-Invoke { "rm -f /var/cache/apt/archives/*.deb /var/cache/apt/archives/partial/*.deb /var/cache/apt/*.bin || true"; };
Dir::Cache::pkgcache "";
Dir::Cache::srcpkgcache "";
EOF
  mount -t proc proc "$rootfs/proc" && PROC_MOUNT=$rootfs/proc   # the openjdk postinst needs /proc
  chroot "$rootfs" sh -c "apt-get install -y -q --no-install-recommends $BASE_PKGS && apt-get clean" \
    >"$LOGS/base-apt.log" 2>&1 || { tail -n 20 "$LOGS/base-apt.log"; fail "apt-get in the rootfs failed"; }
  umount "$rootfs/proc" && PROC_MOUNT=""
  rm -rf "$rootfs"/var/lib/apt/lists/* "$rootfs"/var/cache/apt/*.bin "$rootfs"/tmp/*
  : >"$rootfs/etc/resolv.conf"                                     # docker mounts its own
  tar -C "$rootfs" --numeric-owner -cf "$BASE_TAR.tmp" . && mv "$BASE_TAR.tmp" "$BASE_TAR"
  rm -rf "$rootfs"
  say "rootfs cached in $BASE_TAR ($(du -h "$BASE_TAR" | cut -f1))"
}

if [ "${SMOKE_REBUILD_BASE:-0}" = 1 ]; then
  docker image rm -f "$BASE" >/dev/null 2>&1 || true
  rm -f "$BASE_TAR"
fi
if docker image inspect "$BASE" >/dev/null 2>&1; then
  say "base image $BASE: cached in the daemon"
else
  if [ -s "$BASE_TAR" ]; then
    say "base image: importing the cached rootfs $BASE_TAR"
  else
    make_base
  fi
  docker import --change 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' \
    --change 'CMD ["bash"]' "$BASE_TAR" "$BASE" >/dev/null
  say "base image $BASE imported ($(docker image inspect -f '{{.Size}}' "$BASE" | awk '{printf "%d MB", $1/1e6}'))"
  # bases made by an older recipe: their tags and tarballs only take space now
  docker image ls --format '{{.Repository}}:{{.Tag}}' specserve-smoke/debian-base | grep -vxF "$BASE" \
    | xargs -r docker image rm -f >/dev/null 2>&1 || true
  find "$CACHE" -maxdepth 1 -name 'debian-base-*.tar' ! -name "${BASE_TAR##*/}" -delete
fi

# A first container: where containers cannot run (cgroups, seccomp, mounts), this is not the image's fault.
if ! out=$(docker run --rm --network host "$BASE" java -version 2>&1); then
  printf '%s\n' "$out" | tail -n 5 | sed 's/^/  docker run: /'
  skip "dockerd runs but cannot start a container (see above)"
fi

# ---------------------------------------------------------------------------------------------------- jar, image
[ -f models/demo/manifest.json ] || fail "models/demo/manifest.json is missing (models/build-demo.sh); the image bakes it in"
if [ ! -s "$JAR" ] || [ -n "$(find pom.xml ./*/pom.xml ./*/src -newer "$JAR" -type f -print -quit)" ]; then
  say "building the jar on the host: mvn -B -q -DskipTests package"
  mvn -B -q -DskipTests package >"$LOGS/mvn.log" 2>&1 || { tail -n 30 "$LOGS/mvn.log"; fail "mvn package failed"; }
fi
say "jar $JAR: $(du -h "$JAR" | cut -f1), built $(date -r "$JAR" '+%F %T')"

say "docker build -t $IMAGE (ORT_FLAVOR=cpu, JAR=$JAR, every base = $BASE)"
b0=$(date +%s)
docker build --network host -t "$IMAGE" \
  --build-arg ORT_FLAVOR=cpu --build-arg JAR="$JAR" \
  --build-arg BUILD_BASE="$BASE" --build-arg CPU_BASE="$BASE" --build-arg CUDA_BASE="$BASE" \
  . >"$LOGS/build.log" 2>&1 || fail "docker build failed"
BUILT=1
steps=$(grep -c '^Step ' "$LOGS/build.log" || true)
cached=$(grep -c 'Using cache' "$LOGS/build.log" || true)
say "image built in $(($(date +%s) - b0)) s ($steps steps, $cached from cache): $(docker image inspect -f '{{.Size}}' "$IMAGE" | awk '{printf "%d MB", $1/1e6}')"
docker image prune -f >/dev/null 2>&1 || true     # the previous smoke image, now untagged

say "no secrets in docker history or the image config"
{ docker history --no-trunc --format '{{.CreatedBy}}' "$IMAGE"; docker image inspect -f '{{range .Config.Env}}{{println .}}{{end}}' "$IMAGE"; } >"$LOGS/history.txt"
if grep -Ein '(token|passw|secret|credential|jaas|api[_-]?key|private[_-]?key)[A-Za-z_]*=[^ ]' "$LOGS/history.txt"; then
  fail "a secret-looking assignment is baked into the image (lines above)"
fi
[ "$(docker image inspect -f '{{.Config.User}}' "$IMAGE")" = specserve:specserve ] || fail "image Config.User is not specserve:specserve"
app=$(docker run --rm --network host --entrypoint sh "$IMAGE" -c 'ls -A /app | tr "\n" " "; ls -A /app/models/demo | tr "\n" " "')
say "/app holds: $app"

# ---------------------------------------------------------------------------------------------------- helpers
free_ports() {   # N free TCP ports on 127.0.0.1
  if command -v python3 >/dev/null 2>&1; then
    python3 - "$1" <<'EOF'
import socket, sys
socks = []
for _ in range(int(sys.argv[1])):
    s = socket.socket(); s.bind(("127.0.0.1", 0)); socks.append(s)
print(" ".join(str(s.getsockname()[1]) for s in socks))
EOF
  else
    local out="" p
    while [ "$(wc -w <<<"$out")" -lt "$1" ]; do
      p=$((20000 + RANDOM % 30000))
      (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null || out="$out $p"
    done
    echo $out
  fi
}

json_field() {   # json_field EXPR < json   (python3 when there is one, else a grep for "key":"value")
  if command -v python3 >/dev/null 2>&1; then
    python3 -c "import json,sys; d=json.load(sys.stdin); print($1)"
  else
    grep -o '"text":"[^"]*"' | head -n1 | cut -d'"' -f4
  fi
}

wait_ready() {   # wait_ready URL CONTAINER SECONDS
  local url=$1 c=$2 limit=$3 i
  for i in $(seq 1 "$limit"); do
    curl -fsS -m 2 "$url/ready" >/dev/null 2>&1 && return 0
    [ "$(docker inspect -f '{{.State.Running}}' "$c" 2>/dev/null)" = true ] || fail "container $c exited before /ready: $(docker logs --tail 20 "$c" 2>&1)"
    sleep 1
  done
  fail "$url/ready not 200 within $limit s"
}

wait_healthy() {   # wait_healthy CONTAINER SECONDS
  local c=$1 limit=$2 i s=""
  for i in $(seq 1 "$limit"); do
    s=$(docker inspect -f '{{if .State.Health}}{{.State.Health.Status}}{{end}}' "$c")
    [ "$s" = healthy ] && return 0
    [ "$s" = unhealthy ] && fail "HEALTHCHECK reports unhealthy: $(docker inspect -f '{{json .State.Health.Log}}' "$c")"
    sleep 1
  done
  fail "HEALTHCHECK status '$s' after $limit s (want healthy)"
}

completion() {   # completion URL -> prints the generated text; fails on an empty one
  local body text
  body=$(curl -fsS -m 60 "$1/v1/completions" -H 'Content-Type: application/json' \
    -d '{"prompt": "def fibonacci(n):", "max_tokens": 24, "temperature": 0}') || fail "POST $1/v1/completions failed"
  text=$(json_field 'd["choices"][0]["text"]' <<<"$body") || fail "completion is not the expected JSON: $body"
  [ -n "$text" ] || fail "empty completion: $body"
  printf '%s' "$text"
}

wait_started() {   # wait_started CONTAINER SECONDS: start-up finished (the feedback sink, e.g. the embedded broker, too)
  local c=$1 limit=$2 i name
  name=$(docker inspect -f '{{.Name}}' "$c" | tr -d /)
  for i in $(seq 1 "$limit"); do
    docker logs "$c" >"$LOGS/$name.log" 2>&1
    if grep -q "serving model '" "$LOGS/$name.log"; then
      say "start-up complete; $(grep -oE 'feedback sink: .*|feedback publishing disabled.*' "$LOGS/$name.log" | head -n1 | cut -c1-100)"
      return 0
    fi
    sleep 1
  done
  fail "no 'serving model' line in the log after $limit s"
}

check_user() {   # the server (PID 1) and docker exec both run as specserve (uid 10001)
  local c=$1 who uid
  who=$(docker exec "$c" id -un)
  uid=$(docker exec "$c" sh -c "grep '^Uid:' /proc/1/status" | awk '{print $2}')
  [ "$who" = specserve ] && [ "$uid" = 10001 ] || fail "container runs as '$who' (PID 1 uid $uid), want specserve (10001)"
}

classify_log() {   # classify_log LOG LENIENT: LOG.errors (failures), LOG.known (tolerated), LOG.warnings
  # One entry = a "HH:MM:SS.mmm LEVEL [thread] logger - message" line plus its continuation lines (stack traces).
  # An entry is bad if it is at ERROR level or carries an exception or stack frames. With LENIENT=1, bad entries
  # from Kafka's own loggers (o.a.k.*) after "JVM shutdown: stopping embedded Kafka" are the known
  # embedded-broker shutdown race (see deploy/README-deploy.md) and go to LOG.known instead.
  awk -v lenient="$2" -v bad_out="$1.errors" -v known_out="$1.known" -v warn_out="$1.warnings" '
    function flush() {
      if (entry == "") return
      if (level == "ERROR" || entry ~ /Exception|\n[ \t]+at [A-Za-z_$]/) {
        if (lenient == 1 && hooked && logger ~ /^o\.a\.k\./) print entry > known_out
        else print entry > bad_out
      } else if (level ~ /^WARN/) print first > warn_out
      entry = ""
    }
    /^[0-9][0-9]:[0-9][0-9]:[0-9][0-9]\.[0-9]+ / {
      flush(); entry = $0; first = $0; level = $2
      logger = $0; sub(/^[^]]*\] /, "", logger); sub(/ - .*/, "", logger)
      if ($0 ~ /JVM shutdown: stopping embedded Kafka/) hooked = 1
      next
    }
    entry == "" { entry = $0; first = $0; level = ($0 ~ /WARN/ ? "WARN" : ""); logger = ""; next }
    { entry = entry "\n" $0 }
    END { flush() }
  ' "$1"
  touch "$1.errors" "$1.known" "$1.warnings"
}

check_stop() {   # check_stop NAME CONTAINER LENIENT STOP-COMMAND... : stops within 10 s with a clean log
  local name=$1 c=$2 lenient=$3 s0 ms code log n; shift 3
  s0=$(date +%s%N)
  "$@" >/dev/null 2>>"$LOGS/stop.err" || fail "'$*' failed: $(tail -n 3 "$LOGS/stop.err")"
  ms=$((($(date +%s%N) - s0) / 1000000))
  [ "$(docker inspect -f '{{.State.Running}}' "$c")" = false ] || fail "container still running after '$*'"
  code=$(docker inspect -f '{{.State.ExitCode}}' "$c")
  log=$LOGS/$name.log
  docker logs "$c" >"$log" 2>&1
  say "stopped in $((ms / 1000)).$(printf '%03d' $((ms % 1000)) | cut -c1) s, exit code $code (143 = the JVM's exit on SIGTERM)"
  [ "$code" = 0 ] || [ "$code" = 143 ] || fail "exit code $code after SIGTERM (137 = killed after the grace period)"
  grep -q 'ServeCommand - shutting down' "$log" && grep -q 'ServeCommand - stopped' "$log" \
    || fail "the log has no orderly shutdown ('shutting down' ... 'stopped'); see $log"
  # Strict by default: the server owns the embedded broker's shutdown (no race), so a stop over 10 s, an ERROR
  # or a Kafka client WARN fails. SMOKE_STRICT=0 restores the old tolerance of the broker-hook race.
  [ "${SMOKE_STRICT:-1}" = 1 ] && lenient=0
  classify_log "$log" "$lenient"
  if [ -s "$log.errors" ]; then
    head -n 30 "$log.errors"
    fail "the log of $name has ERROR lines or stack traces (above; full log in $log)"
  fi
  # Kafka WARN lines from the shutdown on (start-up ones, e.g. the broker bootstrapping an empty metadata log,
  # say nothing about the shutdown order); the broker's own registration channel closing its NetworkClient
  # twice on any clean stop is benign.
  sed -n '/ServeCommand - shutting down/,$p' "$log" | grep -E '^[0-9:.]+ WARN .*\] o\.a\.k\.' \
    | grep -v 'NodeToControllerChannelManager.*already been closed' >"$log.shutdown-warnings" || true
  if [ "${SMOKE_STRICT:-1}" = 1 ] && [ -s "$log.shutdown-warnings" ]; then
    cut -c1-200 "$log.shutdown-warnings" | head -n 10
    fail "the log of $name has Kafka client WARN lines during shutdown (above; full log in $log): the shutdown order is broken"
  fi
  local race=0
  grep -q 'JVM shutdown: stopping embedded Kafka' "$log" && [ "$lenient" = 1 ] && race=1
  if [ "$ms" -ge 10000 ]; then
    [ "$race" = 1 ] || fail "stopping took $ms ms (limit 10 s)"
    say "KNOWN ISSUE: stopping took $ms ms (over 10 s): the embedded broker's shutdown race (SMOKE_STRICT=1 fails on it)"
  fi
  if [ -s "$log.known" ]; then
    n=$(grep -cE '^[0-9][0-9]:' "$log.known" || true)
    say "KNOWN ISSUE: Kafka ERROR/exception log entries: $n, all after the embedded broker's own shutdown hook ran (SMOKE_STRICT=1 fails on them):"
    cut -c1-220 "$log.known" | head -n 6 | sed 's/^/    /'
  fi
  if [ -s "$log.warnings" ]; then
    n=$(wc -l <"$log.warnings")
    say "no ERROR line or stack trace$([ -s "$log.known" ] && echo ' besides the known issue'); $n WARN line(s), reported, not failed:"
    cut -c1-200 "$log.warnings" | sort -k3 | uniq -f2 -c | sort -rn | head -n 8 | sed 's/^/    /'
  else
    say "log clean: no ERROR, WARN or stack trace"
  fi
}

# ---------------------------------------------------------------------------------------------------- docker run
read -r HTTP BRIDGE <<<"$(free_ports 2)"
URL=http://127.0.0.1:$HTTP
CONTAINER=specserve-smoke-run
docker rm -f -v "$CONTAINER" >/dev/null 2>&1 || true
say "docker run $IMAGE: host network, HTTP $HTTP, bridge $BRIDGE, embedded Kafka, --health-interval 2s"
r0=$(date +%s)
docker run -d --name "$CONTAINER" --network host --health-interval 2s \
  -e SPECSERVE_HTTP_HOST=127.0.0.1 -e SPECSERVE_HTTP_PORT="$HTTP" \
  -e SPECSERVE_BRIDGE_HOST=127.0.0.1 -e SPECSERVE_BRIDGE_PORT="$BRIDGE" \
  "$IMAGE" >/dev/null
wait_ready "$URL" "$CONTAINER" 180
say "/ready 200 after $(($(date +%s) - r0)) s"
say "completion (temperature 0): $(completion "$URL" | tr '\n' ' ' | cut -c1-100)"
wait_healthy "$CONTAINER" 60
say "HEALTHCHECK: healthy"
check_user "$CONTAINER"
say "user: specserve (uid 10001) for PID 1 and docker exec; Config.User specserve:specserve"
model=$(curl -fsS "$URL/v1/models" | json_field 'd["data"][0]["id"]')
wait_started "$CONTAINER" 90
grep -q "models '$model' from /app/models/demo" "$LOGS/$CONTAINER.log" \
  || fail "the start-up log does not name model '$model' from /app/models/demo"
say "bundled models found: /v1/models lists '$model'; log: $(grep -o "models '$model' from .*" "$LOGS/$CONTAINER.log" | cut -c1-110)"
say "docker stop"
check_stop "$CONTAINER" "$CONTAINER" 1 docker stop -t 30 "$CONTAINER"
docker rm -v "$CONTAINER" >/dev/null
CONTAINER=""

# ---------------------------------------------------------------------------------------------------- compose
compose() {
  docker-compose --env-file "$LOGS/empty.env" -p "$PROJECT" \
    -f docker-compose.yml -f docker-compose.cpu.yml -f deploy/docker-compose.smoke.yml "$@"
}
if [ "${SMOKE_COMPOSE:-1}" = 0 ]; then
  say "compose part skipped (SMOKE_COMPOSE=0)"
  exit 0
fi
if ! command -v docker-compose >/dev/null 2>&1; then
  [ "${SMOKE_INSTALL:-1}" != 0 ] || fail "docker-compose is missing and SMOKE_INSTALL=0"
  say "installing docker-compose (apt-get)"
  { apt-get update -q && apt-get install -y -q docker-compose; } >"$LOGS/apt.log" 2>&1 \
    || fail "apt-get install docker-compose failed (see $LOGS/apt.log)"
fi
: >"$LOGS/empty.env"                        # keep a developer's .env out of the test
read -r HTTP BRIDGE <<<"$(free_ports 2)"
URL=http://127.0.0.1:$HTTP
export SPECSERVE_CPU_IMAGE=$IMAGE SPECSERVE_HTTP_PUBLISH=$HTTP SPECSERVE_BRIDGE_PUBLISH=$BRIDGE
export SPECSERVE_ADMIN_TOKEN="smoke-$(head -c 16 /dev/urandom | od -An -tx1 | tr -d ' \n')"
export GRAFANA_ADMIN_PASSWORD=unused-by-the-smoke-test
compose down -v --remove-orphans >/dev/null 2>&1 || true
say "docker-compose $(docker-compose version --short) up -d --no-deps specserve-cpu (published on 127.0.0.1:$HTTP)"
COMPOSE_UP=1
compose up -d --no-deps specserve-cpu >"$LOGS/compose.log" 2>&1 || fail "docker-compose up failed: $(tail -n 5 "$LOGS/compose.log")"
CID=$(compose ps -q specserve-cpu)
[ -n "$CID" ] || fail "docker-compose started no specserve-cpu container"
CNAME=$(docker inspect -f '{{.Name}}' "$CID" | tr -d /)
r0=$(date +%s)
wait_ready "$URL" "$CID" 180
say "/ready 200 through the published port after $(($(date +%s) - r0)) s"
say "completion (temperature 0): $(completion "$URL" | tr '\n' ' ' | cut -c1-100)"
code=$(curl -s -o /dev/null -w '%{http_code}' -H "Authorization: Bearer $SPECSERVE_ADMIN_TOKEN" "$URL/admin/config")
[ "$code" = 200 ] || fail "GET /admin/config with the compose admin token answered $code"
code=$(curl -s -o /dev/null -w '%{http_code}' "$URL/admin/config")
[ "$code" = 401 ] || [ "$code" = 403 ] || fail "GET /admin/config without a token answered $code (want 401/403)"
say "admin token from compose's environment: 200 with it, $code without"
code=$(curl -s -o /dev/null -w '%{http_code}' -H 'Host: rebound.example' "$URL/v1/models")
[ "$code" = 403 ] || fail "a Host name outside allowed_hosts answered $code (want 403: DNS rebinding)"
say "Host rebound.example: 403 (allowed_hosts from compose)"
say "waiting for compose's healthcheck (interval 15s as in docker-compose.yml)"
wait_healthy "$CID" 90
say "healthcheck: healthy"
check_user "$CID"
docker exec "$CID" sh -c 'test -w /data && ! test -w /models' || fail "/data should be writable and /models read-only"
docker exec "$CID" sh -c 'test -d /data/djl-cache' || fail "no /data/djl-cache: the specserve-data volume is not in use"
say "user specserve; volumes: /data (specserve-data) writable and used, /models read-only"
say "network: $(docker inspect -f '{{range $n, $v := .NetworkSettings.Networks}}{{$n}} (aliases {{join $v.Aliases ","}}) {{end}}' "$CID")"
say "ports: $(docker port "$CID" | tr '\n' ' ')"
wait_started "$CID" 90
grep -q "serving model '.*' from /app/models/demo" "$LOGS/$CNAME.log" || fail "compose run: models not found in the log"
say "docker-compose stop specserve-cpu"
check_stop "$CNAME" "$CID" 0 compose stop specserve-cpu
grep -q "$SPECSERVE_ADMIN_TOKEN" "$LOGS/$CNAME.log" && fail "the admin token appears in the log"
compose down -v --remove-orphans >>"$LOGS/compose.log" 2>&1 || fail "docker-compose down failed"
COMPOSE_UP=0
say "compose: down -v done"
