# The sbrflow image: the CLI, the flows and the migrations. Used by docker-compose.yml.
FROM python:3.11-slim
ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 PREFECT_SERVER_ANALYTICS_ENABLED=false
WORKDIR /app
COPY . /app
RUN pip install --no-cache-dir /app
ENTRYPOINT ["sbrflow"]
