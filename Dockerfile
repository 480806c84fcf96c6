# syntax=docker/dockerfile:1
# The tuopin API image: python:3.11-slim, a non-root user, production mode, the PDF
# notices' Pango and Noto CJK fonts. One image for every process (compose.yaml):
#   docker run IMAGE serve --host 0.0.0.0 --workers 4    the API (the default command)
#   docker run IMAGE migrate                             the schema, once per release
#   docker run IMAGE deliver                             the webhook worker
# See docs/deployment.md for the settings production mode asks for.

FROM python:3.11-slim AS build
ENV PIP_DISABLE_PIP_VERSION_CHECK=1 PIP_NO_CACHE_DIR=1
RUN python -m venv /opt/venv
ENV PATH=/opt/venv/bin:$PATH
WORKDIR /src
COPY pyproject.toml README.md ./
COPY api ./api
# Not editable: the image carries the installed package, not a checkout.
RUN pip install ".[otel]"
# The wheel holds the api package only; the files it reads at run time beside it
# (api/policy_files.py, api/migrations.py look in the package's parent directory)
# are put next to it in site-packages.
COPY policies ./policies
COPY migrations ./migrations
COPY alembic.ini ./
RUN cp -r policies migrations alembic.ini \
    "$(python -c 'import sysconfig; print(sysconfig.get_path("purelib"))')/"
# --- GraphiQL assets ---------------------------------------------------------------
# scripts/graphiql-assets (fetching GraphiQL's built files from npm at build time) is
# being added separately; production mode serves no GraphiQL, so this image needs none.
# A dev image would run it here and COPY its output into the package.
# -----------------------------------------------------------------------------------

FROM python:3.11-slim
# Pango, HarfBuzz's subsetter and fonts-noto-cjk, from the same list `make` installs.
COPY scripts/system-deps /usr/local/bin/tuopin-system-deps
RUN tuopin-system-deps && rm -rf /var/lib/apt/lists/*
RUN useradd --system --uid 10001 --user-group --home-dir /var/lib/tuopin --create-home tuopin
COPY --from=build /opt/venv /opt/venv
ENV PATH=/opt/venv/bin:$PATH \
    PYTHONUNBUFFERED=1 \
    PYTHONDONTWRITEBYTECODE=1 \
    TUOPIN_MODE=production \
    TUOPIN_STATE_DIR=/var/lib/tuopin \
    TUOPIN_LOG_FORMAT=json
USER tuopin
WORKDIR /var/lib/tuopin
EXPOSE 8000
HEALTHCHECK --interval=30s --timeout=5s --start-period=20s --retries=3 \
    CMD ["python", "-c", "import urllib.request; urllib.request.urlopen('http://127.0.0.1:8000/healthz', timeout=4)"]
ENTRYPOINT ["tuopin"]
CMD ["serve", "--host", "0.0.0.0", "--port", "8000", "--workers", "2"]
