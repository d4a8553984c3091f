# specserve container image.
#
#   docker build -t specserve:cpu  .                           # CPU (eclipse-temurin:17-jre base)
#   docker build -t specserve:cuda --build-arg ORT_FLAVOR=cuda .   # CUDA 12.4 + cuDNN 9 base, onnxruntime_gpu
#
#   # Or with a jar built on the host (no Maven and no network in the build stage; this is what
#   # deploy/image-smoke.sh builds in CI). The jar's flavour must match ORT_FLAVOR (mvn -Pcuda for cuda):
#   mvn -B -DskipTests package && docker build -t specserve:cpu --build-arg JAR=controller/target/specserve.jar .
#
# ORT_FLAVOR picks both the Maven profile (cuda -> onnxruntime_gpu artifact) and the runtime base image.
# With BuildKit (the default builder since Docker 23) only the chosen runtime stage is built; the legacy
# builder builds both runtime stages and keeps the chosen one.
#
# The base images are build arguments (BUILD_BASE, CPU_BASE, CUDA_BASE), so a registry mirror or a locally
# made base can stand in for them; nothing else in the image depends on which is used.
#
# The image runs `java -jar /app/specserve.jar serve` as an unprivileged user. The bundled demo models are
# baked in at /app/models/demo; mount your own at /models and set SPECSERVE_MODELS=/models/<name>.

ARG ORT_FLAVOR=cpu
ARG CPU_BASE=eclipse-temurin:17-jre
ARG CUDA_BASE=nvidia/cuda:12.4.1-cudnn-runtime-ubuntu22.04
ARG BUILD_BASE=maven:3.9-eclipse-temurin-17
# JAR: empty (the default) builds the shaded jar with Maven in the `build` stage. Set to a path inside the build
# context, it uses that prebuilt jar instead and Maven never runs. .dockerignore lets exactly one such path
# through: controller/target/specserve.jar, the output of `mvn package` on the host.
ARG JAR=

# ---------------------------------------------------------------- build: the shaded jar
FROM ${BUILD_BASE} AS build
ARG ORT_FLAVOR
ARG JAR
WORKDIR /src
# 1) Poms only: resolve plugins and dependencies into a layer that survives source edits. A failure here is
#    harmless (step 2 resolves whatever is still missing), hence `|| true`.
COPY pom.xml LICENSE NOTICE ./
COPY runtime/pom.xml runtime/
COPY drafters/pom.xml drafters/
COPY bandit/pom.xml bandit/
COPY telemetry/pom.xml telemetry/
COPY controller/pom.xml controller/
RUN set -u; \
    if [ -n "$JAR" ]; then echo "JAR=$JAR: prebuilt jar, Maven is not used"; exit 0; fi; \
    case "$ORT_FLAVOR" in cuda) profile="-Pcuda" ;; *) profile="" ;; esac; \
    mvn -B -ntp -q -DskipTests $profile package >/dev/null 2>&1 || true
# 2) Sources: the real build. Tests run in CI (mvn -B verify), not in the image build. With JAR set, the prebuilt
#    jar takes the place of Maven's output at the same path, so the runtime stage is the same either way.
COPY runtime runtime
COPY drafters drafters
COPY bandit bandit
COPY telemetry telemetry
COPY controller controller
RUN set -eu; \
    case "$ORT_FLAVOR" in \
      cpu)  profile="" ;; \
      cuda) profile="-Pcuda" ;; \
      *) echo "ORT_FLAVOR must be cpu or cuda, got '$ORT_FLAVOR'" >&2; exit 2 ;; \
    esac; \
    if [ -z "$JAR" ]; then \
      mvn -B -ntp -DskipTests $profile package; \
    elif [ ! -s "$JAR" ]; then \
      echo "JAR=$JAR is not in the build context (.dockerignore passes only controller/target/specserve.jar;" \
           "run mvn -B -DskipTests package first)" >&2; exit 4; \
    elif [ "$JAR" != controller/target/specserve.jar ]; then \
      mkdir -p controller/target; cp "$JAR" controller/target/specserve.jar; \
    fi; \
    test -s controller/target/specserve.jar

# ---------------------------------------------------------------- runtime bases
FROM ${CPU_BASE} AS runtime-cpu
RUN set -eu; \
    apt-get update; \
    DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends curl ca-certificates; \
    rm -rf /var/lib/apt/lists/*

FROM ${CUDA_BASE} AS runtime-cuda
RUN set -eu; \
    apt-get update; \
    DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends \
        openjdk-17-jre-headless curl ca-certificates; \
    rm -rf /var/lib/apt/lists/*

# ---------------------------------------------------------------- runtime: chosen by ORT_FLAVOR
FROM runtime-${ORT_FLAVOR} AS runtime
ARG ORT_FLAVOR
LABEL org.opencontainers.image.title="specserve" \
      org.opencontainers.image.description="Adaptive speculative-decoding LLM server (Java 17, ONNX Runtime, Kafka feedback)" \
      dev.specserve.ort-flavor="${ORT_FLAVOR}"

RUN set -eu; \
    groupadd --gid 10001 specserve; \
    useradd --uid 10001 --gid specserve --home-dir /app --no-create-home --shell /usr/sbin/nologin specserve; \
    mkdir -p /app/models /data /models; \
    chown specserve:specserve /data /models

WORKDIR /app
COPY --from=build /src/controller/target/specserve.jar /app/specserve.jar
COPY models/demo /app/models/demo
RUN test -f /app/models/demo/manifest.json || { \
      echo "models/demo/manifest.json is missing: run models/build-demo.sh before building the image" >&2; exit 3; }

# SPECSERVE_HOME=/app makes the default model dir /app/models/demo. Everything else uses the application's
# defaults (see controller/CONFIG.md) except the bind addresses: inside a container the APIs must listen on
# all interfaces to be reachable through published ports; docker-compose.yml publishes them on 127.0.0.1 only.
# Bound to 0.0.0.0, the server would answer any Host name (it cannot know the names it is reached by), which a
# DNS-rebinding web page could use: the Host names answered stay the loopback ones, as a bare `docker run -p
# 127.0.0.1:8000:8000` reaches it. Add the names a proxy or a service forwards (compose adds `specserve`).
ENV SPECSERVE_HOME=/app \
    SPECSERVE_DATA=/data \
    SPECSERVE_ALLOWED_HOSTS=localhost,127.0.0.1,::1 \
    SPECSERVE_HTTP_HOST=0.0.0.0 \
    SPECSERVE_HTTP_PORT=8000 \
    SPECSERVE_BRIDGE_HOST=0.0.0.0 \
    SPECSERVE_BRIDGE_PORT=7000 \
    SPECSERVE_DEVICE=auto \
    DJL_CACHE_DIR=/data/djl-cache \
    ENGINE_CACHE_DIR=/data/djl-cache

USER specserve:specserve
VOLUME ["/data"]
EXPOSE 8000 7000

# Liveness only; /ready (200 once the engine is warm) is what a load balancer should route on.
HEALTHCHECK --interval=15s --timeout=5s --start-period=120s --retries=3 \
    CMD curl -fsS "http://127.0.0.1:${SPECSERVE_HTTP_PORT:-8000}/health" >/dev/null || exit 1

# java is PID 1 and gets SIGTERM directly: the server drains and closes its models on `docker stop`.
# Extra JVM flags: set JAVA_TOOL_OPTIONS. ONNX Runtime allocates off-heap, so the heap is kept to half the limit.
# An OutOfMemoryError exits the process (the restart policy brings it back) rather than leave a thread dead in it.
ENTRYPOINT ["java", "-XX:MaxRAMPercentage=50", "-XX:+ExitOnOutOfMemoryError", "-Dspecserve.home=/app", "-jar", "/app/specserve.jar"]
CMD ["serve"]
