# Berth worker image, built with no registry: FROM the Berth stack image that carries Node 20
# (`berth stacks build`), plus the built project and its production dependencies.
# Build it with scripts/deploy-images.sh, which assembles the context (app/ = dist, schemas,
# stacks, monitoring, package*.json; npm/ = the host's npm and its CA bundle), passes the pinned stack image, and
# tags the result with a content hash (berth/deploy-worker:<hash> and :current).
#
# Task containers are NOT started inside this one: the worker talks to the host's Docker engine
# through the mounted socket (/var/run/docker.sock) and runs the stack images there. Payload,
# code and outputs travel over the container's attach stream, never through bind mounts, so no
# host path is needed. The socket is root-equivalent on the host: see docs/deploy.md.
ARG STACK_IMAGE=berth/stack-node-20:current

FROM ${STACK_IMAGE} AS deps
USER root
ARG NPM_REGISTRY=https://registry.npmjs.org/
COPY npm/ /opt/npm/
# The host's CA bundle (it may trust a proxy's CA); used by npm in this stage only.
COPY npm-ca.crt /opt/npm-ca.crt
WORKDIR /app
COPY app/package.json app/package-lock.json ./
# `docker build --network host`: the npm registry is reached through the host's network.
RUN node /opt/npm/bin/npm-cli.js ci --omit=dev --ignore-scripts --no-audit --no-fund \
      --registry "$NPM_REGISTRY" --cafile /opt/npm-ca.crt --cache /tmp/npm-cache \
 && rm -rf /tmp/npm-cache

FROM ${STACK_IMAGE}
USER root
WORKDIR /app
COPY --from=deps /app/node_modules ./node_modules
COPY app/ ./
# A worker in a container cannot hand task containers a host path for its call socket: function
# containers use Docker's attach stream unless a named volume is given (docker-compose.yml
# mounts one at /run/berth-call and sets BERTH_CALL_SOCKET_DIR and BERTH_CALL_SOCKET_VOLUME).
ENV NODE_ENV=production \
    HOME=/tmp \
    BERTH_METRICS_HOST=0.0.0.0 \
    BERTH_METRICS_PORT=9464 \
    BERTH_CALL_SOCKET_DIR=off
# The worker runs as a user of its own (10002), not as the tasks' `berth` (10001): the call socket
# directory is shared with the worker's function containers (read-only, mode 0711), and a task
# must be able to reach its own socket by name but never list the others'.
# Owned by the worker's user, so a new named volume mounted here is too.
RUN groupadd --gid 10002 berth-worker \
 && useradd --uid 10002 --gid 10002 --home-dir /tmp --no-create-home --shell /usr/sbin/nologin berth-worker \
 && mkdir -p /run/berth-call && chown 10002:10002 /run/berth-call
LABEL org.opencontainers.image.title="berth-worker" \
      berth.deploy.image="worker"
# Non-root (`berth-worker`, 10002). Give it the Docker socket with
# `--group-add <gid of docker.sock>` (compose: group_add DOCKER_GID).
USER 10002:10002
EXPOSE 9464
HEALTHCHECK --interval=10s --timeout=5s --start-period=30s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:'+(process.env.BERTH_METRICS_PORT||9464)+'/readyz').then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"]
# SIGTERM drains: stop intake, finish or hand back running tasks, commit, remove its containers, exit.
STOPSIGNAL SIGTERM
# --max-semi-space-size, --heap-growing-percent: WORKER_NODE_FLAGS (src/worker/worker-node-flags.ts).
ENTRYPOINT ["node", "--max-semi-space-size=64", "--heap-growing-percent=100", "/app/dist/cli/main.js"]
CMD ["worker"]
