# syntax=docker/dockerfile:1
# MCP Publish for a team's server: the compiled gateway (dist/), its production dependencies and
# the PostgreSQL migrations, run as an unprivileged user. See README, "Running it for a team".

# ---- build: compile the core (esbuild) and the settings UI (Vite) with the dev dependencies
FROM node:22-bookworm-slim AS build
WORKDIR /app
COPY package.json package-lock.json ./
# No install scripts: Electron's download and the desktop-only steps are not needed on a server.
RUN npm ci --ignore-scripts --no-audit --no-fund
COPY . .
RUN node scripts/build.mjs && npm run build:ui && npm prune --omit=dev --ignore-scripts

# ---- run
FROM node:22-bookworm-slim
ENV NODE_ENV=production \
    MCP_PUBLISH_HOME=/data \
    MCP_PUBLISH_SECRETS=file
WORKDIR /app
COPY --from=build --chown=root:root /app/package.json ./
COPY --from=build --chown=root:root /app/bin ./bin
COPY --from=build --chown=root:root /app/dist ./dist
COPY --from=build --chown=root:root /app/node_modules ./node_modules
COPY --from=build --chown=root:root /app/renderer/dist ./renderer/dist
# Read at run time next to their source paths (dist/ maps import.meta.url back to src/).
COPY --from=build --chown=root:root /app/src/state/migrations ./src/state/migrations
# The app-data folder (config, live children record, instance lock) belongs to the runtime user;
# the code does not.
RUN mkdir -p /data && chown node:node /data
USER node
VOLUME ["/data"]
EXPOSE 8080
# /healthz answers without a token, on any Host.
HEALTHCHECK --interval=15s --timeout=3s --start-period=20s --retries=3 \
  CMD node -e "fetch('http://127.0.0.1:8080/healthz').then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"
ENTRYPOINT ["node", "bin/mcp-publish.js"]
CMD ["serve", "--config", "/etc/mcp-publish/config.json"]
