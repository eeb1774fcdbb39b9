"""gunicorn configuration for Zielsteuerung (see README, section Production).

Stateless workers: sessions and data live in PostgreSQL, files on shared storage (MEDIA_ROOT), so any number
of app servers can run behind the load balancer.
"""

import multiprocessing
import os

bind = os.environ.get("GUNICORN_BIND", "127.0.0.1:8000")
workers = int(os.environ.get("GUNICORN_WORKERS", multiprocessing.cpu_count() * 2 + 1))
threads = int(os.environ.get("GUNICORN_THREADS", "2"))
worker_class = "gthread"
# PDF bundles of large Vorlagen take a few seconds; anything longer is a hung worker.
timeout = int(os.environ.get("GUNICORN_TIMEOUT", "60"))
graceful_timeout = 30
keepalive = 5
max_requests = 2000
max_requests_jitter = 200
accesslog = "-"
errorlog = "-"
forwarded_allow_ips = os.environ.get("GUNICORN_FORWARDED_ALLOW_IPS", "127.0.0.1")
wsgi_app = "zielsteuerung.wsgi:application"
