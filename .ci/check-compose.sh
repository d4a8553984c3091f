#!/bin/sh
# Validates the deployment files without a Docker engine:
#   - docker-compose.yml alone (GPU) and with docker-compose.cpu.yml (CPU) pass `docker-compose config -q`;
#   - both refuse to render without SPECSERVE_ADMIN_TOKEN (no default secret is committed);
#   - structure: GPU reservation in the base file, none in any service the CPU override starts, the CPU
#     service mirrors the GPU one (env, ports, volumes) except device and image flavour, every published
#     port binds 127.0.0.1;
#   - fleet: a `trainer` service runs `specserve trainer` against kafka:9092 without a GPU or published port
#     (on the CPU image under the override), and the replicas run with SPECSERVE_ADAPTATION=follow;
#   - the Grafana dashboard is valid JSON and uses the provisioned datasource uid; Prometheus scrapes specserve;
#   - every service the README's Deployment section lists exists in docker-compose.yml, and vice versa
#     (README.md's "Deployment" section, else deploy/README-deploy.md).
# promtool, when installed, also checks prometheus.yml and every dashboard query's PromQL syntax.
# Installs docker-compose (v1, from Debian) with apt-get when it is missing.
set -eu
cd "$(dirname "$0")/.."

say() { printf '== %s\n' "$*"; }
fail() { printf 'check-compose: FAIL: %s\n' "$*" >&2; exit 1; }

if ! command -v docker-compose >/dev/null 2>&1; then
  say "installing docker-compose (apt-get)"
  SUDO=""
  if [ "$(id -u)" != 0 ] && command -v sudo >/dev/null 2>&1; then SUDO="sudo"; fi
  $SUDO apt-get update -q >/dev/null
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -q docker-compose >/dev/null
fi
docker-compose version --short 2>/dev/null | sed 's/^/docker-compose /' || true

# The interpreter that has PyYAML (a docker-compose dependency): Debian's, not a pyenv shim.
PY=python3
if [ -x /usr/bin/python3 ] && /usr/bin/python3 -c 'import yaml' 2>/dev/null; then PY=/usr/bin/python3; fi
$PY -c 'import yaml' 2>/dev/null || fail "$PY has no PyYAML (apt-get install python3-yaml)"

TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT INT TERM

# Dummy secrets for validation only; an empty --env-file keeps a developer's .env out of the check
# (docker-compose v1 wants a regular file, not /dev/null).
: >"$TMP/empty.env"
DC="docker-compose --env-file $TMP/empty.env"
export SPECSERVE_ADMIN_TOKEN=ci-dummy-admin-token
export GRAFANA_ADMIN_PASSWORD=ci-dummy-grafana-password

say "docker-compose -f docker-compose.yml config -q"
$DC -f docker-compose.yml config -q
say "docker-compose -f docker-compose.yml -f docker-compose.cpu.yml config -q"
$DC -f docker-compose.yml -f docker-compose.cpu.yml config -q
$DC -f docker-compose.yml config >"$TMP/gpu.yml"
$DC -f docker-compose.yml -f docker-compose.cpu.yml config >"$TMP/cpu.yml"

say "no committed default secret: config must fail without SPECSERVE_ADMIN_TOKEN / GRAFANA_ADMIN_PASSWORD"
for files in "-f docker-compose.yml" "-f docker-compose.yml -f docker-compose.cpu.yml"; do
  # shellcheck disable=SC2086
  if env -u SPECSERVE_ADMIN_TOKEN $DC $files config -q >/dev/null 2>&1; then
    fail "'docker-compose $files config' succeeds without SPECSERVE_ADMIN_TOKEN (a default token is committed?)"
  fi
  # shellcheck disable=SC2086
  if env -u GRAFANA_ADMIN_PASSWORD $DC $files config -q >/dev/null 2>&1; then
    fail "'docker-compose $files config' succeeds without GRAFANA_ADMIN_PASSWORD"
  fi
done

say "Grafana dashboard JSON (python3 -m json.tool)"
for f in deploy/grafana/dashboards/*.json; do
  $PY -m json.tool "$f" >/dev/null || fail "$f is not valid JSON"
done

say "structure: GPU/CPU services, 127.0.0.1 ports, datasource uid, Prometheus targets"
$PY - "$TMP/gpu.yml" "$TMP/cpu.yml" <<'EOF'
import glob, json, sys
import yaml

def load(p):
    with open(p) as f:
        return yaml.safe_load(f)

errors = []
def check(cond, msg):
    if not cond:
        errors.append(msg)

gpu, cpu = load(sys.argv[1])["services"], load(sys.argv[2])["services"]

def devices(svc):
    return (((svc.get("deploy") or {}).get("resources") or {}).get("reservations") or {}).get("devices") or []

def enabled(services):  # services started without --profile
    return {n: s for n, s in services.items() if not s.get("profiles")}

# GPU file: specserve reserves one NVIDIA GPU, capabilities as a list.
d = devices(gpu.get("specserve", {}))
check(any(x.get("driver") == "nvidia" and isinstance(x.get("capabilities"), list) and "gpu" in x["capabilities"]
          for x in d), "docker-compose.yml: specserve has no nvidia GPU reservation with capabilities: [gpu]")
check(gpu.get("specserve", {}).get("build", {}).get("args", {}).get("ORT_FLAVOR") == "cuda",
      "docker-compose.yml: specserve should build with ORT_FLAVOR=cuda")
for name in ("kafka", "specserve", "trainer", "prometheus", "grafana"):
    check(name in enabled(gpu), f"docker-compose.yml: service {name} missing or behind a profile")

# CPU merge: nothing started by default reserves a device; specserve-cpu mirrors specserve.
for name, svc in enabled(cpu).items():
    check(not devices(svc), f"CPU override: service {name} still reserves a device: {devices(svc)}")
check("specserve" not in enabled(cpu), "CPU override: the GPU service specserve is still enabled")
c, g = cpu.get("specserve-cpu"), gpu.get("specserve", {})
if c is None:
    errors.append("CPU override: no specserve-cpu service")
else:
    check(c.get("environment", {}).get("SPECSERVE_DEVICE") == "cpu", "specserve-cpu: SPECSERVE_DEVICE must be cpu")
    check(c.get("build", {}).get("args", {}).get("ORT_FLAVOR") == "cpu", "specserve-cpu: build arg ORT_FLAVOR must be cpu")
    strip = lambda e: {k: v for k, v in (e or {}).items() if k != "SPECSERVE_DEVICE"}
    check(strip(c.get("environment")) == strip(g.get("environment")),
          "specserve-cpu environment differs from specserve's (besides SPECSERVE_DEVICE): "
          + str(set(strip(c.get("environment")).items()) ^ set(strip(g.get("environment")).items())))
    norm = lambda v: sorted(map(str, v)) if isinstance(v, list) else v  # merges reorder lists
    for key in ("ports", "volumes", "healthcheck", "depends_on", "stop_grace_period", "restart"):
        check(norm(c.get(key)) == norm(g.get(key)), f"specserve-cpu {key} differ from specserve's: {c.get(key)} vs {g.get(key)}")
    aliases = ((c.get("networks") or {}).get("default") or {}).get("aliases") or []
    check("specserve" in aliases, "specserve-cpu needs the network alias specserve (Prometheus scrapes that name)")

# Fleet: one trainer adapts the drafter; every replica follows it.
for label, services, replica, image in (("docker-compose.yml", gpu, "specserve", "specserve:cuda"),
                                        ("CPU override", cpu, "specserve-cpu", "specserve:cpu")):
    t, r = enabled(services).get("trainer"), services.get(replica, {})
    if t is None:
        errors.append(f"{label}: no trainer service started by default")
        continue
    check(t.get("command") in (["trainer"], "trainer"), f"{label}: trainer must run the `trainer` command, not {t.get('command')!r}")
    te = t.get("environment") or {}
    check(te.get("SPECSERVE_KAFKA_BOOTSTRAP") == "kafka:9092", f"{label}: trainer needs SPECSERVE_KAFKA_BOOTSTRAP=kafka:9092")
    check(te.get("SPECSERVE_DEVICE") == "cpu", f"{label}: the trainer trains on the CPU (SPECSERVE_DEVICE=cpu)")
    check(te.get("SPECSERVE_REPLICA_ID") and te.get("SPECSERVE_REPLICA_ID") != (r.get("environment") or {}).get("SPECSERVE_REPLICA_ID"),
          f"{label}: the trainer needs a replica id of its own")
    check(not devices(t), f"{label}: the trainer reserves a device")
    check(not t.get("ports"), f"{label}: the trainer publishes ports {t.get('ports')}")
    check(str(t.get("image", "")).endswith(image), f"{label}: trainer image {t.get('image')!r}, expected {image}")
    check((r.get("environment") or {}).get("SPECSERVE_ADAPTATION") == "follow",
          f"{label}: replicas ({replica}) must run with SPECSERVE_ADAPTATION=follow when the trainer adapts")

# Every published port binds 127.0.0.1.
for label, services in (("docker-compose.yml", gpu), ("CPU override", cpu)):
    for name, svc in services.items():
        for p in svc.get("ports") or []:
            spec = p if isinstance(p, str) else "%s:%s:%s" % (p.get("host_ip", ""), p.get("published", ""), p.get("target"))
            check(spec.startswith("127.0.0.1:"), f"{label}: {name} publishes {spec!r} beyond 127.0.0.1")

# In the container the API must listen on all interfaces (the host side is 127.0.0.1).
env = g.get("environment", {})
check(env.get("SPECSERVE_HTTP_HOST") == "0.0.0.0", "specserve: SPECSERVE_HTTP_HOST must be 0.0.0.0 in the container")
check(env.get("SPECSERVE_KAFKA_BOOTSTRAP") == "kafka:9092", "specserve: SPECSERVE_KAFKA_BOOTSTRAP must be kafka:9092")

# Grafana: every datasource reference in the dashboards is the provisioned uid.
ds = load("deploy/grafana/provisioning/datasources/datasource.yml")["datasources"]
uids = {x["uid"] for x in ds}
def refs(node):
    if isinstance(node, dict):
        if isinstance(node.get("datasource"), dict):
            yield node["datasource"]
        for v in node.values():
            yield from refs(v)
    elif isinstance(node, list):
        for v in node:
            yield from refs(v)
for path in glob.glob("deploy/grafana/dashboards/*.json"):
    dash = json.load(open(path))
    check(dash.get("uid") and dash.get("title") and dash.get("panels"), f"{path}: needs uid, title and panels")
    for r in refs(dash):
        if r.get("type") == "prometheus":
            check(r.get("uid") in uids, f"{path}: datasource uid {r.get('uid')!r} is not provisioned ({sorted(uids)})")
prov = load("deploy/grafana/provisioning/dashboards/dashboards.yml")["providers"]
def target(m):  # "src:target[:mode]" or {"source": ..., "target": ...}
    return (m.split(":")[1] if isinstance(m, str) else m.get("target", "")).rstrip("/")
mounted = {target(m) for m in gpu.get("grafana", {}).get("volumes", [])}
for pr in prov:
    path = pr["options"]["path"].rstrip("/")
    check(path in mounted, f"dashboards provider path {path} is not mounted into grafana ({sorted(mounted)})")

# Prometheus scrapes the specserve name on 8000 every 5 s.
prom = load("deploy/prometheus/prometheus.yml")
jobs = [j for j in prom.get("scrape_configs", []) if j.get("job_name") == "specserve"]
check(jobs and jobs[0].get("scrape_interval") == "5s", "prometheus.yml: job specserve with scrape_interval 5s")
if jobs:
    text = json.dumps(jobs[0])
    check("specserve" in text and "8000" in text, "prometheus.yml: job specserve must target specserve:8000")

if errors:
    for e in errors:
        print("check-compose: FAIL:", e, file=sys.stderr)
    sys.exit(1)
EOF

if command -v promtool >/dev/null 2>&1; then
  say "promtool: prometheus.yml and the dashboard's PromQL"
  promtool check config --syntax-only deploy/prometheus/prometheus.yml >/dev/null
  promtool check rules deploy/prometheus/rules.yml >/dev/null
  $PY - >"$TMP/rules.yml" <<'EOF'
import glob, json
print("groups:\n- name: dashboard\n  rules:")
n = 0
for path in glob.glob("deploy/grafana/dashboards/*.json"):
    for p in json.load(open(path))["panels"]:
        for t in p.get("targets", []):
            n += 1
            print(f"  - record: dashboard_expr_{n}\n    expr: {json.dumps(t['expr'].replace('$instance', '.*'))}")
EOF
  promtool check rules "$TMP/rules.yml" >/dev/null
else
  say "promtool not installed: skipping the PromQL syntax check"
fi

say "services listed in the README's Deployment section exist in docker-compose.yml"
$PY - "$TMP/gpu.yml" <<'EOF'
import re, sys
import yaml

def section(path):
    """Lines of the first heading that contains 'Deployment', up to the next heading of the same or higher level."""
    try:
        lines = open(path, encoding="utf-8").read().splitlines()
    except FileNotFoundError:
        return None
    out, level, fence = None, None, False
    for line in lines:
        if line.lstrip().startswith("```"):
            fence = not fence
        m = None if fence else re.match(r"^(#{1,6})\s+(.*)$", line)
        if m and out is not None and len(m.group(1)) <= level:
            break
        if m and out is None and "deployment" in m.group(2).lower():
            out, level = [], len(m.group(1))
            continue
        if out is not None and not fence and not line.lstrip().startswith("```"):
            out.append(line)  # prose only: code blocks are not the services list
    return out

source = "README.md"
lines = section(source)
if not lines:
    source = "deploy/README-deploy.md"
    lines = section(source)
if not lines:
    sys.exit(f"check-compose: FAIL: no 'Deployment' section in README.md or deploy/README-deploy.md")
listed = []
for line in lines:
    if re.match(r"^\W*services\W*:", line, re.I):
        listed += re.findall(r"`([A-Za-z0-9][A-Za-z0-9_.-]*)`", line)
if not listed:
    sys.exit(f"check-compose: FAIL: {source}: the Deployment section has no 'Services: `a`, `b`' line")
services = yaml.safe_load(open(sys.argv[1]))["services"]
default = sorted(n for n, s in services.items() if not s.get("profiles"))
missing = [s for s in listed if s not in services]
unlisted = [s for s in default if s not in listed]
print(f"{source}: services {', '.join(listed)}")
if missing:
    sys.exit(f"check-compose: FAIL: {source} lists services not in docker-compose.yml: {', '.join(missing)}")
if unlisted:
    sys.exit(f"check-compose: FAIL: docker-compose.yml services not listed in {source}: {', '.join(unlisted)}")
EOF

say "check-compose: OK"
