# syntax=docker/dockerfile:1
# The base image: Node.js 24 (the current LTS line), Debian bookworm slim, pinned by digest so a rebuild
# gets the same bytes. The digest is the one node:24-bookworm-slim was published with for Node 24.18.0
# (the multi-platform index, as several public projects pin it); it could not be pulled from here, so
# the first build where the registry is reachable confirms it. Bump: edit the tag and run
# `make docker-pin`, which asks the registry for the tag's current digest and writes it below.
#   tag: node:24-bookworm-slim
ARG NODE_IMAGE=node:24-bookworm-slim@sha256:6f7b03f7c2c8e2e784dcf9295400527b9b1270fd37b7e9a7285cf83b6951452d

# Build stage: compile TypeScript (src, migrations, scripts) with the dev dependencies.
FROM ${NODE_IMAGE} AS build
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json ./
COPY src ./src
COPY migrations ./migrations
COPY scripts ./scripts
RUN npm run build

# Runtime stage: production dependencies and the compiled code only, as the unprivileged `node` user
# (uid 1000). Its entry points, the same ones test/deploy/entry-points.test.ts runs:
#   node dist/src/server.js                      the service (the default command)
#   node dist/scripts/migrate.js                 apply migrations (the Kubernetes migration Job)
#   node dist/scripts/credentials-reencrypt.js   re-seal stored credentials after a key rotation
FROM ${NODE_IMAGE} AS runtime
ENV NODE_ENV=production \
    HOST=0.0.0.0 \
    PORT=3000 \
    DATA_DIR=/data
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --no-audit --no-fund && npm cache clean --force
COPY --from=build /app/dist ./dist
RUN mkdir -p /data && chown node:node /data
USER node
VOLUME ["/data"]
EXPOSE 3000
HEALTHCHECK --interval=15s --timeout=3s --start-period=20s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:' + (process.env.PORT || 3000) + '/healthz').then(r => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]
CMD ["node", "dist/src/server.js"]
