#!/usr/bin/env bash
# Builds the real kube-apiserver the Kubernetes integration tests start, from
# the Go module proxy: Kubernetes publishes no installable kube-apiserver
# module and Debian packages none, so a throwaway wrapper module requires
# k8s.io/kubernetes and replaces each staging module (the replace list in
# that version's go.mod, which points into its own tree) with its published
# release. The binary is cached under .tools/kube/<version>/, git-ignored, so
# only the first run on a machine pays the build (10 to 25 minutes on two
# cores).
#
# The version is stamped in as Kubernetes' own release build does (hack/lib/
# version.sh), so /version says v1.37.2 and not v0.0.0-master; a cached
# binary without the stamp is rebuilt, which the Go build cache makes a
# relink. The build date is the release commit's time from the proxy, so the
# same version always gives the same binary.
set -euo pipefail
cd "$(dirname "$0")/.."
KUBE_VERSION=${KUBE_VERSION:-v1.37.2}
STAGING_VERSION=v0${KUBE_VERSION#v1}          # v1.37.2 -> v0.37.2
out=.tools/kube/$KUBE_VERSION
bin=$out/kube-apiserver
if [ -x "$bin" ] && [ "$("$bin" --version 2>/dev/null)" = "Kubernetes $KUBE_VERSION" ]; then
  exit 0
fi
go=${GO:-go}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
echo "building kube-apiserver $KUBE_VERSION from the Go module proxy (first time only; several minutes)" >&2
# go mod download (not curl) so GOPROXY, GOSUMDB and GOFLAGS apply as to
# any other module, and the checksum database vouches for the go.mod read.
dl=$(cd "$work" && $go mod download -json "k8s.io/kubernetes@$KUBE_VERSION")
json_field() { sed -n 's/^[[:space:]]*"'"$1"'": "\(.*\)",\{0,1\}$/\1/p'; }
upstream_mod=$(json_field GoMod <<<"$dl")
info=$(json_field Info <<<"$dl")
commit_time=$(sed -n 's/.*"Time":"\([^"]*\)".*/\1/p' "$info")
if [ -z "$upstream_mod" ] || [ -z "$commit_time" ]; then
  echo "build-kube: go mod download k8s.io/kubernetes@$KUBE_VERSION: no go.mod or time in: $dl" >&2
  exit 1
fi
{
  echo "module evident.local/kubebuild"
  echo
  echo "go $(sed -n 's/^go //p' "$upstream_mod")"
  echo
  echo "require k8s.io/kubernetes $KUBE_VERSION"
  echo
  echo "replace ("
  sed -n 's#^\t\(k8s.io/[a-z0-9-]*\) => ./staging/src/k8s.io/.*#\t\1 => \1 '"$STAGING_VERSION"'#p' "$upstream_mod"
  echo ")"
} >"$work/go.mod"
major=${KUBE_VERSION#v}; major=${major%%.*}
minor=${KUBE_VERSION#v*.}; minor=${minor%%.*}
v=k8s.io/component-base/version
ldflags="-s -w -buildid= -X $v.gitVersion=$KUBE_VERSION -X $v.gitMajor=$major -X $v.gitMinor=$minor"
ldflags+=" -X $v.gitTreeState=clean -X $v.buildDate=$commit_time -X $v.gitCommit="
(
  cd "$work"
  export GOFLAGS=-mod=mod
  $go get "k8s.io/kubernetes/cmd/kube-apiserver@$KUBE_VERSION" >&2
  CGO_ENABLED=0 $go build -trimpath -ldflags "$ldflags" -o "$work/kube-apiserver" k8s.io/kubernetes/cmd/kube-apiserver
)
got=$("$work/kube-apiserver" --version)
if [ "$got" != "Kubernetes $KUBE_VERSION" ]; then
  echo "build-kube: built binary says \"$got\", want \"Kubernetes $KUBE_VERSION\"" >&2
  exit 1
fi
mkdir -p "$out"
mv "$work/kube-apiserver" "$bin.tmp"
mv "$bin.tmp" "$bin"
echo "$bin" >&2
