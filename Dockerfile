FROM python:3.11-slim
ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1
WORKDIR /srv/parcours
COPY pyproject.toml ./
COPY app ./app
COPY migrations ./migrations
COPY templates ./templates
COPY static ./static
COPY alembic.ini ./
RUN pip install --no-cache-dir . && useradd --system --home /srv/parcours parcours \
    && mkdir -p /srv/parcours/var && chown parcours /srv/parcours/var
USER parcours
EXPOSE 8000
# Migrations are applied at every start (they are idempotent), then the server starts.
CMD ["sh", "-c", "parcours db upgrade && if [ \"$LOAD_DEMO\" = 1 ]; then parcours demo --if-empty; fi && parcours serve --host 0.0.0.0 --port 8000 --workers ${WEB_WORKERS:-2}"]
