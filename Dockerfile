# lrs in a container, in front of an external PostgreSQL (set LRS_DATABASE_URL).
#   docker build -t lrs .
#   docker run --init -p 8000:8000 -e LRS_DATABASE_URL=postgresql+asyncpg://lrs:pw@db:5432/lrs \
#     -e LRS_BOOTSTRAP_KEY=admin -e LRS_BOOTSTRAP_SECRET=change-me lrs serve --migrate
#
# Without LRS_DATABASE_URL, `lrs serve` runs the embedded PostgreSQL in LRS_DATA_DIR
# (/var/lib/lrs, a volume): mount a named volume there (-v lrs-data:/var/lib/lrs), or the data
# is lost with the container. LRS_PORT (default 8000) moves the server and its HEALTHCHECK.

FROM python:3.11-slim AS build
ENV PIP_NO_CACHE_DIR=1 PIP_DISABLE_PIP_VERSION_CHECK=1
WORKDIR /src
RUN python -m venv /opt/lrs && /opt/lrs/bin/pip install --upgrade pip
# The dependencies first, from pyproject.toml alone: this layer survives code edits.
COPY pyproject.toml scripts/requirements-from-pyproject.py ./
RUN python requirements-from-pyproject.py pyproject.toml > requirements.txt \
 && /opt/lrs/bin/pip install -r requirements.txt
# Then lrs itself, without touching the dependencies.
COPY README.md alembic.ini ./
COPY migrations ./migrations
COPY src ./src
RUN /opt/lrs/bin/pip install --no-deps .

FROM python:3.11-slim
ENV PATH=/opt/lrs/bin:$PATH PYTHONUNBUFFERED=1 \
    LRS_HOST=0.0.0.0 LRS_PORT=8000 LRS_DATA_DIR=/var/lib/lrs
RUN useradd --system --create-home --uid 10001 lrs \
 && mkdir -p /var/lib/lrs && chown lrs:lrs /var/lib/lrs
COPY --from=build /opt/lrs /opt/lrs
USER lrs
WORKDIR /home/lrs
VOLUME ["/var/lib/lrs"]
EXPOSE 8000
HEALTHCHECK --interval=15s --timeout=3s --start-period=30s --retries=3 \
  CMD ["python", "-c", "import os, sys, urllib.request; port = os.environ.get('LRS_PORT', '8000'); sys.exit(0 if urllib.request.urlopen('http://127.0.0.1:' + port + '/health', timeout=2).status == 200 else 1)"]
ENTRYPOINT ["lrs"]
# No --host/--port here: LRS_HOST and LRS_PORT decide, so the HEALTHCHECK polls the right port.
CMD ["serve"]
