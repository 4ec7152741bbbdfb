#!/bin/sh
# One-shot (temporalio/admin-tools) after the server is healthy: creates the namespace if missing and
# registers the `TenantId` Keyword search attribute that every workflow and schedule of this service
# sets (starting a workflow fails without it). Idempotent; safe on every `up`.
set -eu
: "${TEMPORAL_ADDRESS:?}" "${NAMESPACE:?}"
RETENTION="${NAMESPACE_RETENTION:-720h}"

# Retries a command for about a minute: the server answers health checks before its namespace cache
# knows a namespace created a moment ago.
retry() {
  attempt=0
  until "$@"; do
    attempt=$((attempt + 1))
    if [ "$attempt" -ge 30 ]; then
      echo "gave up: $*" >&2
      return 1
    fi
    sleep 2
  done
}

has_tenant_id() {
  temporal operator search-attribute list --namespace "$NAMESPACE" --address "$TEMPORAL_ADDRESS" 2>/dev/null | grep -qw TenantId
}

register_tenant_id() {
  has_tenant_id ||
    temporal operator search-attribute create --namespace "$NAMESPACE" --name TenantId --type Keyword --address "$TEMPORAL_ADDRESS"
}

retry temporal operator cluster health --address "$TEMPORAL_ADDRESS"

if temporal operator namespace describe --namespace "$NAMESPACE" --address "$TEMPORAL_ADDRESS" >/dev/null 2>&1; then
  echo "namespace $NAMESPACE exists"
else
  retry temporal operator namespace create --namespace "$NAMESPACE" --retention "$RETENTION" --address "$TEMPORAL_ADDRESS"
fi

retry register_tenant_id
# Visible through the API, not only written: workflows can be started with it from now on.
retry has_tenant_id
echo "namespace $NAMESPACE is ready (search attribute TenantId: Keyword)"
