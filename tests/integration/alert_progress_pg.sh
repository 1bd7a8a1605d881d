#!/usr/bin/env bash
# tests/integration/alert_progress.sh against a real PostgreSQL (started by the test)
PROGRESS_DB=pg exec bash tests/integration/alert_progress.sh
