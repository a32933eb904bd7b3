FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1

WORKDIR /app

COPY requirements.txt .
RUN pip install -r requirements.txt

COPY . .

# Static files are collected with the production storage (DEBUG off), which refuses to start
# without SECRET_KEY and FIELD_ENCRYPTION_KEY: these throwaway ones exist only during the build.
RUN DEBUG=false SECRET_KEY=build-only-collectstatic-key-never-used-at-runtime-0123456789 \
    FIELD_ENCRYPTION_KEY=build-only \
    python manage.py collectstatic --no-input --verbosity 0

RUN useradd --system --no-create-home --home-dir /app casetracker
USER casetracker

EXPOSE 8000
CMD ["gunicorn", "casetracker.wsgi", "--bind", "0.0.0.0:8000", "--workers", "3", "--worker-class", "gthread", "--threads", "4", "--timeout", "120", "--keep-alive", "10", "--access-logfile", "-"]
