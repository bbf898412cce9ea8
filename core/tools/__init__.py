"""Tools from MCP servers: the user's consent, the types the rest of Rill sees (their
configuration, ``rill.core.tool_settings``, is re-exported) and a server's secret values
in the keychain. The parts that load the MCP SDK (about 0.5 s) are imported by their
full names, ``rill.core.tools.manager`` first, only where a server is started.
"""

from rill.core.tool_settings import ServerConfig, ToolPrefs, ToolSettings
from rill.core.tools.consent import ChatGrants, Decision, ToolRef
from rill.core.tools.keys import delete_secrets, store_secrets
from rill.core.tools.model import ServerState, ServerStatus, ToolCallError, ToolInfo, ToolResult

__all__ = [
    "ChatGrants",
    "Decision",
    "ServerConfig",
    "ServerState",
    "ServerStatus",
    "ToolCallError",
    "ToolInfo",
    "ToolPrefs",
    "ToolRef",
    "ToolResult",
    "ToolSettings",
    "delete_secrets",
    "store_secrets",
]
