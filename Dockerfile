# syntax=docker/dockerfile:1
# Keygate: one container, embedded SQLite by default (set DATABASE_DSN / REDIS_DSN for a cluster).

FROM node:20-bookworm-slim AS build
WORKDIR /src
# better-sqlite3 builds from source when no prebuilt binary can be fetched.
RUN apt-get update && apt-get install -y --no-install-recommends python3 make g++ && rm -rf /var/lib/apt/lists/*
# The lock file is written by npm 11; npm 10 (bundled with Node 20) reads its optional entries differently.
RUN npm install -g --no-audit --no-fund npm@11
COPY . .
# The official node image ships Node's headers for native builds; where a base image lacks them,
# scripts/container-smoke.sh puts the host's into .docker-extra/ (there is no download offline).
RUN if [ ! -d /usr/local/include/node ] && [ -d .docker-extra/nodedir/include/node ]; then \
      export npm_config_nodedir="$PWD/.docker-extra/nodedir"; fi \
 && npm ci --no-audit --no-fund \
 && npx nuxt build

FROM node:20-bookworm-slim AS runtime
ENV NODE_ENV=production PORT=3001 HOST=0.0.0.0 DATA_DIR=/app/data
WORKDIR /app
# .output is self-contained: Nitro traces the production dependencies (incl. the native SQLite
# binding) into .output/server/node_modules, so no npm install and no dev dependencies here.
COPY --from=build --chown=node:node /src/.output ./.output
RUN mkdir -p /app/data && chown node:node /app/data
USER node
VOLUME ["/app/data"]
EXPOSE 3001
HEALTHCHECK --interval=15s --timeout=3s --start-period=20s --retries=3 \
  CMD node -e "fetch('http://127.0.0.1:'+(process.env.PORT||3001)+'/health').then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"
STOPSIGNAL SIGTERM
CMD ["node", ".output/server/index.mjs"]
