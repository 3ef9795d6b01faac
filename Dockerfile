# The SageMaker image of iris-mlops: one image for training (`docker run IMAGE train`) and for
# real-time inference and batch transform (`docker run IMAGE serve`). See docs/container.md.
#
# Build (Docker):  docker build --platform linux/amd64 -t iris-mlops .
# Build (buildah): buildah bud --format docker --platform linux/amd64 -t iris-mlops .
# `--format docker` matters for buildah/podman: SageMaker wants a Docker v2 schema 2 manifest.

# The official Node 22 image through its ECR Public mirror (no Docker Hub pull limits). Tests pass
# a local base built from Debian packages; any image with node and npm on PATH will do.
ARG BASE_IMAGE=public.ecr.aws/docker/library/node:22-bookworm-slim

# ---- build: compile the TypeScript, then drop what the container does not run -------------------
FROM ${BASE_IMAGE} AS build
# Behind a TLS-intercepting proxy, name a CA bundle mounted into the build (buildah/podman:
# `-v /etc/ssl/certs/ca-certificates.crt:/etc/ssl/certs/ca-certificates.crt:ro`). A build
# argument of this stage only: it never reaches the final image.
ARG NODE_EXTRA_CA_CERTS=
# Production dependencies that only deployment uses (the Pulumi components, the Lambda handler's
# bundler, SDK and Powertools): the entrypoint never loads them, and they are most of the size.
ARG DEPLOY_ONLY_DEPENDENCIES="@pulumi/aws @pulumi/aws-native @pulumi/docker-build @pulumi/pulumi esbuild @aws-sdk/client-s3 @aws-lambda-powertools/logger @aws-lambda-powertools/metrics aws4fetch"
WORKDIR /src
# Dependencies first, so that this layer is reused while only the sources change. Scripts are
# off: `prepare` would build before the sources are here, and no dependency needs its own.
COPY package.json package-lock.json ./
RUN npm ci --ignore-scripts --no-audit --no-fund
# What gets here is decided by .dockerignore (an allow-list of the sources the build needs).
COPY . .
RUN npm run build \
 && npm prune --omit=dev --ignore-scripts --no-audit --no-fund \
 && npm uninstall --no-save --omit=dev --ignore-scripts --no-audit --no-fund ${DEPLOY_ONLY_DEPENDENCIES} \
 && find node_modules -mindepth 1 -maxdepth 1 -type d -empty -delete \
 && test -f dist/sagemaker/main.js

# ---- runtime: node, the compiled code and the production dependencies, nothing else -------------
FROM ${BASE_IMAGE} AS runtime
ARG BASE_IMAGE
ARG VERSION=dev
ARG REVISION=unknown
ARG CREATED=unknown
LABEL org.opencontainers.image.title="iris-mlops" \
      org.opencontainers.image.description="Random Forest Iris classifier: SageMaker training (train) and inference (serve) container" \
      org.opencontainers.image.licenses="Apache-2.0" \
      org.opencontainers.image.vendor="iris-mlops" \
      org.opencontainers.image.version="${VERSION}" \
      org.opencontainers.image.revision="${REVISION}" \
      org.opencontainers.image.created="${CREATED}" \
      org.opencontainers.image.base.name="${BASE_IMAGE}"
ENV NODE_ENV=production
# /opt/program by SageMaker's convention: /opt/ml belongs to the platform.
WORKDIR /opt/program
COPY --from=build /src/package.json ./package.json
COPY --from=build /src/node_modules ./node_modules
COPY --from=build /src/dist ./dist
# The user the container runs as, by number (no name lookup needed). Root by default: AWS's guide
# for custom SageMaker containers says SageMaker expects containers to run as root, and it mounts
# /opt/ml for that user. `--build-arg APP_UID=1000 --build-arg APP_GID=1000` builds a non-root
# image (docs/container.md, "Which user"). Declared after the COPYs so both builds share every
# layer above this line.
ARG APP_UID=0
ARG APP_GID=0
# SageMaker mounts its own /opt/ml/{model,input,output}; these are for a plain `docker run IMAGE
# train` without mounts, so that a non-root user can write its model and failure reason.
RUN mkdir -p /opt/ml/model /opt/ml/input/config /opt/ml/input/data /opt/ml/output/data \
 && chown -R "${APP_UID}:${APP_GID}" /opt/ml/model /opt/ml/output
USER ${APP_UID}:${APP_GID}
EXPOSE 8080
# Exec form: node is PID 1 and receives SIGTERM itself. SageMaker appends `train` or `serve`.
ENTRYPOINT ["node", "dist/sagemaker/main.js"]
