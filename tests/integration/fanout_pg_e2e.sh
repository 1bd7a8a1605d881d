#!/usr/bin/env bash
# tests/integration/fanout.sh against a real PostgreSQL (started by the test)
FANOUT_DB=pg exec bash tests/integration/fanout.sh
