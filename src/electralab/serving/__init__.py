"""An HTTP server for a loaded model: micro-batched prediction behind FastAPI, run by uvicorn.

The server knows nothing of tasks: it hands texts to the model's ``predict`` and answers what that returns
(a label and probabilities, a label set, entities): the same dicts ``electralab predict`` prints.
Modules: :mod:`.settings` (limits, checked first), :mod:`.batcher` (micro-batching), :mod:`.schema`
(request and response bodies, error messages), :mod:`.app` (the FastAPI app), :mod:`.server` (uvicorn).
"""
