# lrs in a container, in front of an external PostgreSQL (set LRS_DATABASE_URL).
#   docker build -t lrs .
#   docker run -p 8000:8000 -e LRS_DATABASE_URL=postgresql+asyncpg://lrs:pw@db:5432/lrs \
#     -e LRS_BOOTSTRAP_KEY=admin -e LRS_BOOTSTRAP_SECRET=change-me lrs serve --host 0.0.0.0 --migrate

FROM python:3.11-slim AS build
ENV PIP_NO_CACHE_DIR=1 PIP_DISABLE_PIP_VERSION_CHECK=1
WORKDIR /src
COPY pyproject.toml README.md alembic.ini ./
COPY src ./src
COPY migrations ./migrations
RUN python -m venv /opt/lrs && /opt/lrs/bin/pip install --upgrade pip && /opt/lrs/bin/pip install .

FROM python:3.11-slim
ENV PATH=/opt/lrs/bin:$PATH PYTHONUNBUFFERED=1 LRS_HOST=0.0.0.0 LRS_PORT=8000
RUN useradd --system --create-home --uid 10001 lrs
COPY --from=build /opt/lrs /opt/lrs
USER lrs
WORKDIR /home/lrs
EXPOSE 8000
HEALTHCHECK --interval=15s --timeout=3s --start-period=20s --retries=3 \
  CMD ["python", "-c", "import sys, urllib.request; sys.exit(0 if urllib.request.urlopen('http://127.0.0.1:8000/health', timeout=2).status == 200 else 1)"]
ENTRYPOINT ["lrs"]
CMD ["serve", "--host", "0.0.0.0", "--port", "8000"]
