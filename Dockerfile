# Guichet for several machines: gunicorn web processes (the default command) or
# `guichet worker` processes, on PostgreSQL. See docs/deployment.md; compose.yaml is a trial.
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 PIP_DISABLE_PIP_VERSION_CHECK=1
# The package index pip reads while building (none given: PyPI).
ARG PIP_INDEX_URL
ARG PIP_EXTRA_INDEX_URL

WORKDIR /opt/guichet
COPY pyproject.toml constraints.txt README.md ./
COPY definitions ./definitions
COPY engine ./engine
COPY renderers ./renderers
COPY connectors ./connectors
COPY factory ./factory
# the exact versions of the lock file, PostgreSQL's driver, gunicorn and boto3
RUN pip install --no-cache-dir -c constraints.txt '.[postgresql,server]' \
    && rm -rf /root/.cache
# the example procedures, for a trial (a deployment mounts its own)
COPY examples ./examples

RUN useradd --system --uid 10001 --create-home --home-dir /home/guichet guichet \
    && mkdir -p /var/lib/guichet/uploads /var/lib/guichet/metrics /var/lib/guichet/data \
    && chown -R guichet /var/lib/guichet
USER guichet
WORKDIR /var/lib/guichet

# Web processes never migrate nor run the worker: `guichet db upgrade` runs once per deploy,
# `guichet worker` in containers of its own.
ENV GUICHET_MIGRATE=false \
    GUICHET_VAR_FOLDER=/var/lib/guichet \
    GUICHET_UPLOAD_FOLDER=/var/lib/guichet/uploads \
    GUICHET_LOG_FORMAT=json \
    PROMETHEUS_MULTIPROC_DIR=/var/lib/guichet/metrics
EXPOSE 8000
CMD ["gunicorn", "--bind", "0.0.0.0:8000", "--workers", "2", "--access-logfile", "-", "factory.wsgi:app"]
