"""Calls a Hypha gateway with the official `openai` package, unmodified but
for `base_url` and `api_key`, as a user's code would. Prints one JSON
object with what it got, for tests/tests/market.rs to check against the chain.

usage: openai_client.py BASE_URL API_KEY MODEL
"""

import json
import sys
import time

import openai

base_url, api_key, model = sys.argv[1:4]
client = openai.OpenAI(base_url=base_url, api_key=api_key, max_retries=0, timeout=300)
report = {"openai_version": openai.__version__}

# The models on sale.
report["models"] = [m.id for m in client.models.list().data]

# A plain completion.
completion = client.completions.create(
    model=model, prompt="The secret of life is", max_tokens=12, temperature=0
)
report["completion"] = {
    "text": completion.choices[0].text,
    "finish_reason": completion.choices[0].finish_reason,
    "usage": completion.usage.model_dump(),
    "job": completion.model_extra["hypha"]["job"],
}

# A chat, streamed: tokens arrive before the provider commits.
started = time.monotonic()
first = None
parts = []
hypha = None
finish = None
usage = None
stream = client.chat.completions.create(
    model=model,
    messages=[
        {"role": "system", "content": "You tell fortunes."},
        {"role": "user", "content": "What does tomorrow hold?"},
    ],
    max_tokens=16,
    temperature=0.8,
    seed=7,
    stream=True,
    stream_options={"include_usage": True},
)
chunks = 0
for chunk in stream:
    chunks += 1
    extra = chunk.model_extra or {}
    if "hypha" in extra:
        hypha = extra["hypha"]
    if chunk.usage is not None:
        usage = chunk.usage.model_dump()
    for choice in chunk.choices:
        if choice.delta.content:
            if first is None:
                first = time.monotonic() - started
            parts.append(choice.delta.content)
        if choice.finish_reason:
            finish = choice.finish_reason
report["stream"] = {
    "text": "".join(parts),
    "deltas": len([p for p in parts if p]),
    "chunks": chunks,
    "finish_reason": finish,
    "usage": usage,
    "job": hypha["job"] if hypha else None,
    "seconds_to_first_text": first,
    "seconds": time.monotonic() - started,
}

# A chat, not streamed.
chat = client.chat.completions.create(
    model=model, messages=[{"role": "user", "content": "Hello"}], max_tokens=8, temperature=0
)
report["chat"] = {
    "text": chat.choices[0].message.content,
    "finish_reason": chat.choices[0].finish_reason,
    "job": chat.model_extra["hypha"]["job"],
}

# Errors in OpenAI's shape, raised as the SDK's own exceptions.
try:
    client.completions.create(model="no-such-model", prompt="x", max_tokens=1)
    report["unknown_model"] = "accepted"
except openai.NotFoundError as error:
    report["unknown_model"] = error.code
try:
    openai.OpenAI(base_url=base_url, api_key="sk-wrong-key-0000000000", max_retries=0).models.list()
    report["wrong_key"] = "accepted"
except openai.AuthenticationError as error:
    report["wrong_key"] = error.code
try:
    client.completions.create(model=model, prompt="x", max_tokens=1, n=2)
    report["n2"] = "accepted"
except openai.BadRequestError as error:
    report["n2"] = error.code

print(json.dumps(report))
