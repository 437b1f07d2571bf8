#!/bin/sh
# Builds the images docker-compose.yml runs, with no image registry: each FROM a Berth image
# already on this engine (`berth stacks build` makes them), packages from Debian and npm through
# `docker build --network host`, Kafka jars from Berth's cache. Idempotent and cached: every image
# is tagged with a hash of its build context and base image id (berth/deploy-<name>:<hash>) and
# only built when that tag is missing; :current then points at it (compose uses :current).
#
#   sh scripts/deploy-images.sh            # needs dist/ (npm run build) and the stack images
#
# Prints one line per image: name, tag, built|cached.
set -eu
root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"
stack_image="${BERTH_DEPLOY_STACK_IMAGE:-berth/stack-node-20:current}"
base_image="${BERTH_DEPLOY_BASE_IMAGE:-berth/base-bookworm:current}"
kafka_version="${BERTH_KAFKA_VERSION:-4.4.0}"
work="$(mktemp -d "${TMPDIR:-/tmp}/berth-deploy-images.XXXXXX")"
trap 'rm -rf "$work"' EXIT INT TERM

say() { echo "deploy-images: $*" >&2; }

image_id() { docker image inspect -f '{{.Id}}' "$1" 2>/dev/null || true; }

# The content-hash tag of an image (stack images carry one) with the same id as $1, else $1.
pinned() {
  id="$(image_id "$1")"
  repo="${1%:*}"
  tag="$(docker image ls --format '{{.Tag}} {{.ID}}' "$repo" | awk -v id="$(echo "$id" | cut -c8-19)" '$2 == id && $1 != "current" { print $1; exit }')"
  if [ -n "$tag" ]; then echo "$repo:$tag"; else echo "$1"; fi
}

# build NAME CONTEXT FROM [docker build args...]: tag by hash of context + FROM image id.
build() {
  name="$1"; ctx="$2"; from="$3"; shift 3
  from_id="$(image_id "$from")"
  [ -n "$from_id" ] || { say "$from is not on this engine; run 'berth stacks build' first"; exit 1; }
  hash="$( { echo "$from_id $*"; tar --sort=name --mtime=@0 --owner=0 --group=0 --numeric-owner -C "$ctx" -cf - . | sha256sum; } | sha256sum | cut -c1-12)"
  tag="berth/deploy-$name:$hash"
  if [ -n "$(image_id "$tag")" ]; then
    state=cached
  else
    say "building $tag FROM $from"
    docker build --network host -q -t "$tag" "$@" "$ctx" >/dev/null \
      || { say "build of $tag failed (re-run without -q: docker build --network host $* $ctx)"; exit 1; }
    state=built
  fi
  docker tag "$tag" "berth/deploy-$name:current"
  # Older builds of this image (other hash tags) go; one still used by a container stays.
  docker image ls --format '{{.Repository}}:{{.Tag}}' "berth/deploy-$name" \
    | grep -v -e ":current\$" -e ":$hash\$" | xargs -r docker rmi >/dev/null 2>&1 || true
  echo "$name $tag $state"
}

# Worker: the built project on the Node 20 stack image.
[ -f dist/cli/main.js ] || { say "dist/ is missing; run 'npm run build' first"; exit 1; }
stack="$(pinned "$stack_image")"
w="$work/worker"
mkdir -p "$w/app"
cp Dockerfile "$w/Dockerfile"
cp -R package.json package-lock.json dist schemas stacks monitoring "$w/app/"
find "$w/app/dist" -name '*.map' -delete
# The host's npm (a self-contained install: bin/npm-cli.js with its own node_modules).
npm_dir="$(dirname "$(dirname "$(readlink -f "$(command -v npm)")")")"
[ -f "$npm_dir/bin/npm-cli.js" ] && [ -d "$npm_dir/node_modules" ] \
  || { say "cannot find a self-contained npm next to $(command -v npm) ($npm_dir)"; exit 1; }
cp -R "$npm_dir" "$w/npm"
cp "${NODE_EXTRA_CA_CERTS:-/etc/ssl/certs/ca-certificates.crt}" "$w/npm-ca.crt"
build worker "$w" "$stack" --build-arg "STACK_IMAGE=$stack" --build-arg "NPM_REGISTRY=$(npm config get registry)"

# Broker: base + JRE 17 + the cached Kafka jars (fetched from Maven Central when not cached yet).
lib="$(BERTH_KAFKA_VERSION="$kafka_version" node --input-type=module -e "
  const { loadInfraConfig } = await import('./dist/config/infra-config.js');
  const { ensureKafkaJars } = await import('./dist/infra/kafka-distribution.js');
  console.log(await ensureKafkaJars(loadInfraConfig(), (l) => console.error(l)));
")"
k="$work/kafka"
mkdir -p "$k"
cp deploy/broker/Dockerfile deploy/broker/kafka-entrypoint.sh deploy/broker/kafka-healthcheck.sh deploy/broker/log4j2.properties "$k/"
cp -R "$lib" "$k/lib"
base="$(pinned "$base_image")"
build kafka "$k" "$base" --build-arg "BASE_IMAGE=$base" --build-arg "KAFKA_VERSION=$kafka_version"

# Prometheus: Debian's package on the base (config is mounted by compose).
p="$work/prometheus"
mkdir -p "$p"
cp deploy/prometheus/Dockerfile "$p/"
build prometheus "$p" "$base" --build-arg "BASE_IMAGE=$base"
