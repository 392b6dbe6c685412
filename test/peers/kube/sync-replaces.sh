#!/usr/bin/env bash
# Rewrites go.mod's requirement of k8s.io/kubernetes and the replace of each of its staging modules.
# k8s.io/kubernetes replaces its staging modules with ./staging/src/... paths, which a consumer cannot
# use; each is published as k8s.io/<name> v0.<minor>.<patch>. The list is read from that release's own
# go.mod (in the module cache) so that a version bump cannot miss or invent a staging module.
# Usage: ./sync-replaces.sh v1.33.13   (then: go mod tidy)
set -euo pipefail
export GOTOOLCHAIN=local
cd "$(dirname "$0")"
version="${1:?usage: $0 <k8s.io/kubernetes version, e.g. v1.33.13>}"
staging_version="v0.${version#v1.}"
gomod="$(go mod download -json "k8s.io/kubernetes@${version}" | sed -n 's/^[[:space:]]*"GoMod": "\(.*\)",$/\1/p')"
[ -f "$gomod" ] || { echo "sync-replaces: no go.mod of k8s.io/kubernetes@${version} in the module cache" >&2; exit 1; }

# Lines of the form `k8s.io/<name> => ./staging/src/k8s.io/<name>` in its replace block.
mapfile -t staging < <(sed -n 's#^[[:space:]]*\(k8s\.io/[A-Za-z0-9._-]*\) => \./staging/src/\1$#\1#p' "$gomod")
[ "${#staging[@]}" -gt 0 ] || { echo "sync-replaces: found no staging replaces in $gomod" >&2; exit 1; }

# Drop every earlier k8s.io replace, so a module that left staging does not linger.
for old in $(go mod edit -json | sed -n 's/^[[:space:]]*"Path": "\(k8s\.io\/[^"]*\)".*/\1/p' | sort -u); do
  go mod edit -dropreplace="$old" 2>/dev/null || true
done
go mod edit -require="k8s.io/kubernetes@${version}"
for m in "${staging[@]}"; do go mod edit -replace="${m}=${m}@${staging_version}"; done
echo "sync-replaces: k8s.io/kubernetes ${version}, ${#staging[@]} staging modules at ${staging_version}"
