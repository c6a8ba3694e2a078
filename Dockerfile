# syntax=docker/dockerfile:1
# The bot's image: TypeScript compiled to JavaScript in a build stage, production dependencies
# only in the final one, run as the unprivileged `node` user under tini. docs/container.md tells
# how to build and run it; compose.yaml runs it beside PostgreSQL (the production path).
#
# NODE_IMAGE: the Node 22 base of both stages. Debian bookworm based images only (apt is used in
# the build stage); scripts/container-base.sh builds a local stand-in where no registry is reachable.
ARG NODE_IMAGE=node:22-bookworm-slim

FROM ${NODE_IMAGE} AS build
# Compilers for the native modules that build from source (better-sqlite3 for this Node's ABI,
# hnswlib-node); tini for the final stage.
RUN apt-get update \
 && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends python3 make g++ tini \
 && rm -rf /var/lib/apt/lists/*
# node-gyp compiles against the headers that ship with Node in /usr/local/include/node instead
# of downloading them.
ENV npm_config_nodedir=/usr/local \
    npm_config_update_notifier=false
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json ./
COPY scripts/build.mjs ./scripts/
COPY src ./src
RUN npm run build \
 && npm prune --omit=dev --no-audit --no-fund \
 # onnxruntime-node ships binaries for every platform; only this one's are loaded.
 && find node_modules/onnxruntime-node/bin -mindepth 3 -maxdepth 3 -type d ! -path "*/linux/$(node -p process.arch)" -exec rm -rf {} + \
 # Of what node-gyp compiled here only the .node files are loaded: no object files, no SQLite source.
 && for m in better-sqlite3 hnswlib-node; do \
      find node_modules/$m/build -mindepth 1 -maxdepth 1 ! -name Release -exec rm -rf {} + ; \
      find node_modules/$m/build/Release -mindepth 1 -maxdepth 1 ! -name '*.node' -exec rm -rf {} + ; \
    done \
 && rm -rf node_modules/better-sqlite3/deps

FROM ${NODE_IMAGE}
ENV NODE_ENV=production \
    DATA_DIR=/app/data \
    CORPUS_DIR=/app/corpus \
    EMBEDDING_CACHE_DIR=/app/data/models \
    HEALTH_PORT=8080 \
    HEALTH_HOST=0.0.0.0
WORKDIR /app
COPY --from=build /usr/bin/tini-static /usr/bin/tini
# Code and dependencies belong to root and are read-only for the bot; only /app/data is its own.
COPY --from=build /app/package.json ./
COPY --from=build /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
COPY corpus ./corpus
RUN mkdir -p /app/data && chown node:node /app/data
VOLUME /app/data
USER node
EXPOSE 8080
# /healthz answers 200 while the bot is connected to Discord with its store open (no curl in a
# slim image: Node's fetch).
HEALTHCHECK --interval=30s --timeout=5s --start-period=120s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:'+(process.env.HEALTH_PORT||8080)+'/healthz').then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"]
# tini as PID 1 passes SIGTERM on to Node (which stops gracefully) and reaps orphans.
ENTRYPOINT ["/usr/bin/tini", "--"]
# With DISCORD_TOKEN: the bot. Without: the console chat (run with -it), e.g.
#   podman run -it --rm -v newsbot-data:/app/data newsbot
CMD ["node", "dist/cli/start.js"]
