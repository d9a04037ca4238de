# One image for Vigil's API, worker and migration job (docker-compose.yml picks the command).
FROM python:3.11-slim
WORKDIR /app
COPY pyproject.toml ./
COPY . .
RUN pip install --no-cache-dir .
ENV PYTHONUNBUFFERED=1
CMD ["uvicorn", "api.main:app", "--http", "api.http_protocol:HeaderTimeoutH11Protocol", "--timeout-keep-alive", "20", "--host", "0.0.0.0", "--port", "8000"]
