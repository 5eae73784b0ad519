"""The floor for bench.api_load: a FastAPI app with one endpoint that returns a constant."""

from fastapi import FastAPI

app = FastAPI()


@app.get("/constant")
def constant() -> dict[str, str]:
    return {"status": "ok"}
