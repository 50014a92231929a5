"""The embedded, rule-based chat model: the agent's default LLM, no network needed."""

from agent.offline.model import OfflineChatModel

__all__ = ["OfflineChatModel"]
