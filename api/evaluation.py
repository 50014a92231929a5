"""Replaying a conversation script k times from inside the app (the staff playground's pass^k).

The runner lives in conversations/, above the app, which the app may not import; so the app is
given an evaluator: `create_app(settings, evaluator=...)`. The command line passes
`conversations.evaluate.evaluate_text` (bound to `create_app`) to `serve`; an app built without
one answers the playground's replay with 501. The pass^k arithmetic itself is core/passk.py.
"""

from __future__ import annotations

from typing import Any, Protocol

from core.settings import Settings


class ScriptEvaluator(Protocol):
    """Runs a script (YAML text) `trials` times on `provider`; the per-script pass^k report
    (as `scheduling-agent eval --json` writes each script)."""

    async def __call__(
        self,
        text: str,
        *,
        trials: int,
        provider: str,
        model_settings: dict[str, Any] | None = None,
        prompt: str | None = None,
        parallel: int = 1,
    ) -> dict[str, Any]: ...


def trial_model_settings(
    settings: Settings, *, model: str | None = None, temperature: float | None = None
) -> dict[str, Any]:
    """The model configuration a script trial takes from the app's settings (OpenAI, temperature),
    with a staff choice of model and temperature on top."""
    return {
        "openai_api_key": settings.openai_api_key,
        "openai_model": model or settings.openai_model,
        "openai_base_url": settings.openai_base_url,
        "llm_temperature": settings.llm_temperature if temperature is None else temperature,
    }


def default_parallel(provider: str | None) -> int:
    """Trials at a time: a remote model waits on the network, the local ones use this CPU."""
    return 4 if provider == "openai" else 1
