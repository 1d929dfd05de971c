# One image for every role: worker (all / translate / summarize), flower, intake.
# Build:   docker build -t tarjama .
#          docker build --build-arg PULL_MODELS=1 -t tarjama .   # bake the weights in
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    TOKENIZERS_PARALLELISM=false \
    TARJAMA_MODEL_CACHE_DIR=/models

# An unprivileged user: a worker parses untrusted articles.
RUN useradd --create-home --uid 10001 tarjama && mkdir /models && chown tarjama /models
WORKDIR /app

# Dependencies first (cached layer): torch pinned to the CPU build, then the package.
COPY pyproject.toml README.md ./
RUN pip install "torch==2.13.0" --index-url https://download.pytorch.org/whl/cpu
COPY worker ./worker
COPY tasks ./tasks
COPY prompts ./prompts
COPY examples ./examples
RUN pip install ".[worker,flower]"

USER tarjama
ARG PULL_MODELS=0
RUN if [ "$PULL_MODELS" = "1" ]; then tarjama models pull; fi

# Celery's warm shutdown: running jobs finish, nothing new is taken.
STOPSIGNAL SIGTERM
# Exec form: no shell in between, so the worker receives SIGTERM itself.
ENTRYPOINT ["tarjama"]
CMD ["worker"]
