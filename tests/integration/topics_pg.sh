#!/usr/bin/env bash
# tests/integration/topics.sh against a real PostgreSQL (started by the test)
TOPICS_DB=pg exec bash tests/integration/topics.sh
