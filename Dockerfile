# syntax=docker/dockerfile:1
# The base image: Node.js 24 (the current LTS line), Debian bookworm slim, pinned by digest so a rebuild
# gets the same bytes. `make docker-pin` resolves the tag below to its digest and writes it into both
# FROM lines (it needs a registry to ask, which the machines that run the tests lack); `make docker`
# refuses to build while the digest is missing. Bump by editing the tag and running `make docker-pin`.
#   tag: node:24-bookworm-slim
ARG NODE_IMAGE=node:24-bookworm-slim@sha256:0000000000000000000000000000000000000000000000000000000000000000

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
