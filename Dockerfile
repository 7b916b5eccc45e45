# One image for the gRPC server, the REST proxy and the dashboard; the command picks the program:
#   python -m server  |  python -m rest  |  streamlit run dashboard/app.py
# The base is pinned by version tag. Add its digest (python:3.11.14-slim-bookworm@sha256:...)
# from your registry when promoting the image beyond a local cluster.

# ---- builder: resolve the locked environment into /app/.venv --------------------------------
FROM python:3.11.14-slim-bookworm AS builder

ENV PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    UV_COMPILE_BYTECODE=1 \
    UV_LINK_MODE=copy \
    UV_PYTHON_DOWNLOADS=never \
    UV_NO_CACHE=1 \
    UV_PROJECT_ENVIRONMENT=/app/.venv

RUN pip install --no-cache-dir uv==0.13.9

WORKDIR /app

# Dependencies first: this layer is rebuilt only when pyproject.toml or uv.lock change.
COPY pyproject.toml uv.lock ./
# (No BuildKit-only syntax: `minikube image build` may use the classic builder.)
RUN uv sync --frozen --no-dev

# ---- runtime: the venv and the sources, no build tools, a fixed non-root user ---------------
FROM python:3.11.14-slim-bookworm

RUN groupadd --system --gid 10001 app \
    && useradd --system --uid 10001 --gid app --home-dir /home/app --create-home \
       --shell /usr/sbin/nologin app

WORKDIR /app

COPY --from=builder /app/.venv /app/.venv
COPY server/ ./server/
COPY rest/ ./rest/
COPY dashboard/ ./dashboard/
RUN python -m compileall -q server rest dashboard

# Listen on all interfaces inside the container; the data dir is a mounted volume.
ENV PATH=/app/.venv/bin:$PATH \
    PYTHONUNBUFFERED=1 \
    PYTHONDONTWRITEBYTECODE=1 \
    HOME=/home/app \
    MLSERVICE_GRPC_HOST=0.0.0.0 \
    MLSERVICE_REST_HOST=0.0.0.0 \
    MLSERVICE_DATA_DIR=/data

USER 10001:10001

# gRPC, REST, dashboard. Health is checked by Kubernetes probes (gRPC health, HTTP), not here.
EXPOSE 50051 8080 8501
# checkov:skip=CKV_DOCKER_2:Kubernetes probes check health (grpc.health.v1, /v1/status, /_stcore/health)
CMD ["python", "-m", "server"]
