# Multi-stage: build the wheel-based virtual environment, then copy it into a slim runtime image
# that runs as a non-root user with its data on a volume.
FROM python:3.11-slim AS build
ENV PIP_DISABLE_PIP_VERSION_CHECK=1 PIP_NO_CACHE_DIR=1
WORKDIR /src
RUN python -m venv /opt/venv
COPY pyproject.toml README.md ./
COPY app ./app
RUN /opt/venv/bin/pip install .

FROM python:3.11-slim AS runtime
ENV PATH=/opt/venv/bin:$PATH \
    PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    FORUM_DATA_DIR=/data \
    PYTHONPATH=/app
RUN groupadd --system forum && useradd --system --gid forum --home-dir /app --shell /usr/sbin/nologin forum \
    && mkdir -p /data && chown forum:forum /data
COPY --from=build /opt/venv /opt/venv
WORKDIR /app
# Templates, static files, migrations and translations are read from the source tree.
COPY --chown=root:root alembic.ini ./
COPY --chown=root:root app ./app
COPY --chown=root:root migrations ./migrations
COPY --chown=root:root templates ./templates
COPY --chown=root:root static ./static
COPY --chown=root:root translations ./translations
USER forum
VOLUME ["/data"]
EXPOSE 8000
HEALTHCHECK --interval=30s --timeout=5s CMD python -c "import urllib.request; urllib.request.urlopen('http://127.0.0.1:8000/healthz')"
CMD ["sh", "-c", "forum db upgrade && exec forum serve --host 0.0.0.0 --port 8000 --workers ${FORUM_WORKERS:-2}"]
