#!/usr/bin/env bash
# tests/integration/webhooks.sh against a real PostgreSQL (started by the test)
WEBHOOKS_DB=pg exec bash tests/integration/webhooks.sh
