#!/usr/bin/env bash
# tests/integration/bombing.sh against a real PostgreSQL (started by the test)
BOMBING_DB=pg exec bash tests/integration/bombing.sh
