"""Tools from MCP servers: their configuration, the user's consent, and the types the
rest of Rill sees. The parts that load the MCP SDK are imported by their full names
(``rill.core.tools.manager``), so that reading the settings never pays for the SDK.
"""

from rill.core.tools.config import ServerConfig, ToolPrefs, ToolSettings
from rill.core.tools.consent import ChatGrants, Decision, ToolRef
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
]
