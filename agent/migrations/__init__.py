"""The sessions database's own tables (core/migrations.py applies them; LangGraph's checkpointer
migrates its tables itself): the chat-session leases, then the playground's staff sessions."""
