# cable-inspector gateway image.
#
#   docker build -t cable-inspector .
#   docker run -p 44444:44444/udp -p 3000:3000 -v cable-images:/data cable-inspector
#
# Stages: `prod-deps` installs the production dependencies (with the optional native
# @tensorflow/tfjs-node), `build` compiles the TypeScript, `runtime` keeps only what runs.

ARG NODE_IMAGE=node:20-bookworm-slim

FROM ${NODE_IMAGE} AS base
WORKDIR /app
ENV npm_config_update_notifier=false \
    npm_config_fund=false \
    npm_config_audit=false

# Production dependencies only. `npm ci` installs optional dependencies too: the install script of
# @tensorflow/tfjs-node downloads a prebuilt libtensorflow and its addon, and falls back to
# compiling the addon with node-gyp (python3, make, g++) when no prebuilt one fits.
FROM base AS prod-deps
RUN apt-get update \
    && apt-get install -y --no-install-recommends ca-certificates python3 make g++ \
    && rm -rf /var/lib/apt/lists/*
COPY package.json package-lock.json ./
RUN npm ci --omit=dev && npm cache clean --force
# An optional dependency that fails to install is skipped silently: refuse to build an image
# without the native TensorFlow backend (build with --build-arg REQUIRE_TFJS_NODE=false on a
# platform libtensorflow is not published for; the gateway then falls back to the WASM backend).
ARG REQUIRE_TFJS_NODE=true
RUN if [ "$REQUIRE_TFJS_NODE" = "true" ]; then node -e "require('@tensorflow/tfjs-node')"; fi

# Compilation: dev dependencies, no install scripts (tsc needs none of them).
FROM base AS build
COPY package.json package-lock.json ./
RUN npm ci --ignore-scripts
COPY . .
RUN npm run build

FROM base AS runtime
# UV_USE_IO_URING=0: with libuv's io_uring file I/O on, the ACK rate of 16 lockstep devices fell
# from about 9.8k/s to 6.2k/s on a 2-core machine while images were being written.
ENV NODE_ENV=production \
    UV_USE_IO_URING=0 \
    STORAGE_DIR=/data/images \
    LOG_FORMAT=json \
    MODEL_DIR=/app/models/default \
    MODELS_DIR=/data/models
COPY package.json package-lock.json ./
COPY --from=prod-deps /app/node_modules ./node_modules
COPY --from=build /app/dist/src ./dist/src
COPY --from=build /app/dist/libs ./dist/libs
COPY models ./models
COPY web ./web
COPY deploy/healthcheck.mjs ./healthcheck.mjs
# The native backend must load here too, with the runtime image's shared libraries.
ARG REQUIRE_TFJS_NODE=true
RUN if [ "$REQUIRE_TFJS_NODE" = "true" ]; then node -e "require('@tensorflow/tfjs-node')"; fi \
    && mkdir -p /data/images /data/models \
    && chown -R node:node /data
# The image's files stay root-owned and read-only to the gateway; it writes under /data only:
# the images, and the models trained at the plant with the choice of the active one (MODELS_DIR;
# the image's own model, MODEL_DIR, is listed beside them).
USER node
VOLUME ["/data"]
EXPOSE 44444/udp 3000
HEALTHCHECK --interval=15s --timeout=5s --start-period=30s --retries=3 \
    CMD ["node", "healthcheck.mjs"]
# node itself is the main process (not npm), so SIGTERM reaches the gateway and it drains.
STOPSIGNAL SIGTERM
CMD ["node", "dist/src/main.js"]
