#!/usr/bin/env bash
# A bounded mixed load: gunicorn with 2 workers on 127.0.0.1, locust for a fixed time and user count.
# Usage: benchmarks/load.sh [USERS] [SECONDS]   (run from the repository root, after pip install -e ".[bench]")
set -euo pipefail
USERS=${1:-30}
SECONDS_TO_RUN=${2:-45}
WORK=$(mktemp -d)
export DATABASE_URL="sqlite:///$WORK/load.sqlite3" SECRET_KEY=load-test LMS_SESSION_COOKIE_SECURE=false
.venv/bin/lms db upgrade >/dev/null 2>&1
.venv/bin/lms bench-data --tier S --seed 1
export BENCH_PASSWORD=benchmark-password BENCH_EDUCATOR_EMAIL=educator-s1-0@bench.example
# Calendar apps poll an ordinary educator's feed; the busy educator (1,000+ sessions) opens registers.
export BENCH_FEED_PATH=$(.venv/bin/lms calendar-url educator-s1-1@bench.example | sed 's|^http://[^/]*||')
export BENCH_REGISTER_PATH=$(.venv/bin/python - <<'PY'
from lms import create_app
from lms.extensions import db
import sqlalchemy as sa
from lms.scheduling.models import Cohort, Session
app = create_app()
with app.app_context():
    cohort = db.session.scalar(sa.select(Cohort.id).where(Cohort.name == "Big cohort"))
    print(f"/sessions/{db.session.scalar(sa.select(sa.func.max(Session.id)).where(Session.cohort_id == cohort))}/register")
PY
)
.venv/bin/gunicorn --workers 2 --bind 127.0.0.1:8765 --log-level warning 'lms:create_app()' &
GUNICORN=$!
trap 'kill $GUNICORN; rm -rf "$WORK"' EXIT
sleep 3
.venv/bin/locust -f benchmarks/locustfile.py --headless --host http://127.0.0.1:8765 -u "$USERS" -r 10 \
  -t "${SECONDS_TO_RUN}s" --only-summary 2>&1 | tail -25
