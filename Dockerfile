# The continuum product image: one image for `continuum operator`, `agent` and `imager`.
#   docker build -t continuum:dev .
# CI builds the same image without a Docker engine (scripts/build-image.sh, with umoci) and
# runs it with runc (tests/image/).
FROM node:20-bookworm-slim AS build
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json ./
COPY reconcilers reconcilers
RUN npm run build && npm prune --omit=dev

FROM node:20-bookworm-slim
WORKDIR /app
COPY --from=build /app/node_modules node_modules
COPY --from=build /app/dist dist
COPY package.json ./
COPY bin bin
# A static busybox at /bin/busybox: restored pods run its `true` from an init container of the
# checkpoint's base image (reconcilers/migration/base-image-pull.ts).
RUN apt-get update && apt-get install -y --no-install-recommends busybox-static \
  && rm -rf /var/lib/apt/lists/*
# `continuum` on the PATH: the imaging Job runs `continuum imager`.
RUN ln -s /app/bin/continuum.js /usr/local/bin/continuum
# Non-root; the agent DaemonSet and imaging Jobs set their own securityContext where they need
# to read host paths.
USER 65532:65532
ENTRYPOINT ["node", "/app/bin/continuum.js"]
