"""The chat model for a provider: `openai` (any OpenAI-compatible server), `offline`, or `stub`."""

from __future__ import annotations

from dataclasses import dataclass

from langchain_core.language_models.chat_models import BaseChatModel
from pydantic import SecretStr

from agent.models.stub import StubChatModel, StubScript
from core.clock import Clock
from core.settings import Settings


class ModelConfigError(ValueError):
    """The settings do not describe a usable model."""


@dataclass(frozen=True)
class ModelChoice:
    """Which model a conversation uses; the playground may override it per session."""

    provider: str
    model: str | None = None
    temperature: float | None = None


def make_model(
    settings: Settings,
    clock: Clock,
    choice: ModelChoice | None = None,
    *,
    stub_script: StubScript | None = None,
) -> BaseChatModel:
    """Build the chat model; no network is touched here."""
    choice = choice or ModelChoice(settings.effective_llm_provider)
    temperature = settings.llm_temperature if choice.temperature is None else choice.temperature
    if choice.provider == "openai":
        from agent.models.openai import BoundedChatOpenAI

        if not settings.openai_api_key and not settings.openai_base_url:
            raise ModelConfigError("LLM_PROVIDER=openai needs OPENAI_API_KEY (or OPENAI_BASE_URL for a local server)")
        return BoundedChatOpenAI(
            model=choice.model or settings.openai_model,
            api_key=SecretStr(settings.openai_api_key or "not-needed"),  # local servers ignore the key
            base_url=settings.openai_base_url,
            temperature=temperature,
            streaming=True,
            stream_usage=True,
            max_retries=0,  # agent/retry.py retries (MODEL_RETRIES), in one place: never the client too
            timeout=settings.openai_timeout,
            first_token_seconds=settings.first_token_seconds,
            stall_seconds=settings.stream_stall_seconds,
        )
    if choice.provider == "offline":
        from agent.offline import OfflineChatModel
        from agent.offline.model import warm_up

        warm_up()  # at start-up, not on the first patient's message
        return OfflineChatModel(clock=clock, clinic_name=settings.clinic_name, time_format=settings.display_time_format)
    if choice.provider == "stub":
        return StubChatModel(script=stub_script or StubScript())
    raise ModelConfigError(f"unknown LLM provider {choice.provider!r}: use openai, offline or stub")
