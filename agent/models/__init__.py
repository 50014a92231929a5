"""The chat models: `openai` (any OpenAI-compatible server), `offline` (embedded) and `stub`
(scripted), all behind `make_model`; the project's own models share `base.StreamingChatModel`."""

from agent.models.factory import ModelChoice, ModelConfigError, make_model

__all__ = ["ModelChoice", "ModelConfigError", "make_model"]
