"""Every *.yaml here is a conversation script and one test item (see tests/support/conversation_plugin.py).

Run them alone with `pytest tests/conversations`, or only the offline ones with `-m llm_offline`;
`scheduling-agent test-script tests/conversations` runs the same scripts outside pytest.
"""

from tests.support.conversation_plugin import pytest_collect_file, pytest_configure  # noqa: F401
