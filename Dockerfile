# Berth worker image. Task containers are NOT started inside this one: the worker talks to the
# host's Docker engine through the mounted socket (/var/run/docker.sock) and runs the prebuilt
# stack images there (build them on the host with `berth stacks build`).
#
#   docker build -t berth-worker:local .
#   docker run --rm -v /var/run/docker.sock:/var/run/docker.sock \
#     -e BERTH_KAFKA_BROKERS=kafka:9092 -p 9464:9464 berth-worker:local

FROM node:20-slim AS build
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --ignore-scripts --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json ./
COPY src ./src
RUN npm run build && npm prune --omit=dev --ignore-scripts --no-audit --no-fund

FROM node:20-slim
ENV NODE_ENV=production \
    BERTH_METRICS_HOST=0.0.0.0 \
    BERTH_METRICS_PORT=9464
WORKDIR /app
COPY --from=build /app/package.json ./package.json
COPY --from=build /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
COPY schemas ./schemas
COPY stacks ./stacks
# Non-root; give it access to the Docker socket with `--group-add <gid of docker.sock>`.
USER node
EXPOSE 9464
HEALTHCHECK --interval=15s --timeout=5s --start-period=30s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:'+(process.env.BERTH_METRICS_PORT||9464)+'/healthz').then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"]
# SIGTERM drains: stop intake, finish or hand back running tasks, commit, exit.
STOPSIGNAL SIGTERM
ENTRYPOINT ["node", "dist/cli/main.js"]
CMD ["worker"]
