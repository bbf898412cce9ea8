"""The form that adds or edits one MCP server: a command Rill runs (stdio: command,
arguments, environment) or a streamable HTTP endpoint (URL, headers).

It checks every field with the same rules as ``rill mcp add`` and the settings file
(``rill.core.tool_settings``) and shows, before anything runs, the exact command line
that will run as the user (the program fixed to its absolute path, as ``rill mcp add``
does). Secret values (an API token in a variable or a header) are typed into fields of
their own, kept out of the settings file: the dialog hands them to the keychain.
"""

from __future__ import annotations

import shlex
from dataclasses import dataclass, replace

from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QVBoxLayout,
    QWidget,
)

from rill.core.tool_settings import (
    SERVER_NAME_RULE,
    ServerConfig,
    find_program,
    url_problem,
    valid_env_name,
    valid_header_name,
    valid_server_name,
    valid_value,
)
from rill.gui.common import plain_label

KINDS = (("stdio", "A program Rill runs (stdio)"), ("http", "A streamable HTTP server (URL)"))


@dataclass(frozen=True)
class ServerEntry:
    """What the form produced: the server, and the secret values to keep."""

    name: str
    config: ServerConfig
    secret_env: dict[str, str]
    secret_headers: dict[str, str]


def parse_pairs(text: str, *, header: bool) -> dict[str, str]:
    """``K=V`` lines (``K: V`` also for headers) as a dict; ValueError names the bad line."""
    pairs: dict[str, str] = {}
    valid_name = valid_header_name if header else valid_env_name
    for number, line in enumerate(text.splitlines(), 1):
        if not line.strip():
            continue
        separators = "=:" if header else "="
        cut = next((i for i, char in enumerate(line) if char in separators), -1)
        if cut <= 0:
            raise ValueError(f"line {number}: write NAME=value")
        name, value = line[:cut].strip(), line[cut + 1 :].strip()
        if not valid_name(name):
            what = "a header name" if header else "a variable name"
            raise ValueError(f"line {number}: {name!r} is not {what}")
        if not valid_value(value, header=header):
            raise ValueError(f"line {number}: the value of {name} cannot be used")
        pairs[name] = value
    return pairs


class ServerForm(QDialog):
    """Add a server (``existing`` None) or edit ``existing`` (its name stays)."""

    def __init__(
        self,
        taken: set[str],
        parent: QWidget | None = None,
        *,
        name: str = "",
        existing: ServerConfig | None = None,
    ) -> None:
        super().__init__(parent)
        self.setWindowTitle("Edit tool server" if existing else "Add tool server")
        self.setMinimumWidth(620)
        self._taken = taken
        self._existing = existing
        self.entry: ServerEntry | None = None
        self.name = QLineEdit(name)
        self.name.setReadOnly(existing is not None)  # its secrets are kept under it
        self.name.setToolTip(SERVER_NAME_RULE)
        self.kind = QComboBox()
        for key, label in KINDS:
            self.kind.addItem(label, key)
        self.command = QLineEdit()
        self.command.setPlaceholderText("e.g. uvx or /usr/local/bin/my-server")
        self.arguments = QLineEdit()
        self.arguments.setPlaceholderText(
            "as in a shell, e.g. mcp-server-time --local-timezone UTC"
        )
        self.env = _pairs_box("NAME=value, one a line")
        self.secret_env = _pairs_box("NAME=value: kept in the keychain, never in the file")
        self.url = QLineEdit()
        self.url.setPlaceholderText("https://example.com/mcp")
        self.headers = _pairs_box("Name: value, one a line")
        self.secret_headers = _pairs_box("e.g. Authorization: Bearer …  (kept in the keychain)")
        self.preview = plain_label(QLabel())
        self.preview.setWordWrap(True)
        self.preview.setObjectName("commandPreview")
        self.problem = plain_label(QLabel())
        self.problem.setObjectName("hint")
        self.problem.setWordWrap(True)
        self.form = QFormLayout()
        for label, field in (
            ("Name", self.name),
            ("Kind", self.kind),
            ("Command", self.command),
            ("Arguments", self.arguments),
            ("Environment", self.env),
            ("Secret variables", self.secret_env),
            ("URL", self.url),
            ("Headers", self.headers),
            ("Secret headers", self.secret_headers),
        ):
            field.setAccessibleName(label)
            self.form.addRow(label, field)
        self.buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel
        )
        self.buttons.accepted.connect(self._on_buttons_accepted)
        self.buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addLayout(self.form)
        layout.addWidget(self.preview)
        layout.addWidget(self.problem)
        layout.addWidget(self.buttons)
        if existing is not None:
            self._fill(existing)
        for edit in (self.name, self.command, self.arguments, self.url):
            edit.textChanged.connect(self._refresh)
        for box in (self.env, self.secret_env, self.headers, self.secret_headers):
            box.textChanged.connect(self._refresh)
        self.kind.currentIndexChanged.connect(self._refresh)
        self._refresh()

    def _fill(self, config: ServerConfig) -> None:
        self.kind.setCurrentIndex(0 if config.kind == "stdio" else 1)
        self.command.setText(config.command)
        self.arguments.setText(shlex.join(config.args))
        self.env.setPlainText("\n".join(f"{k}={v}" for k, v in config.env.items()))
        self.url.setText(config.url)
        self.headers.setPlainText("\n".join(f"{k}: {v}" for k, v in config.headers.items()))
        stored = [*config.secret_env, *config.secret_headers]
        if stored:
            hint = f"Stored in the keychain: {', '.join(stored)}; a value typed here replaces it"
            self.secret_env.setPlaceholderText(hint)
            self.secret_headers.setPlaceholderText(hint)

    @property
    def stdio(self) -> bool:
        """Whether the form describes a program Rill runs."""
        return bool(self.kind.currentData() == "stdio")

    def build(self) -> ServerEntry:
        """The server the fields describe; ValueError says what is wrong."""
        name = self.name.text().strip()
        if not valid_server_name(name):
            raise ValueError(f"The name is {SERVER_NAME_RULE}.")
        if self._existing is None and name in self._taken:
            raise ValueError(f"A server named {name!r} exists.")
        base = self._existing or ServerConfig()
        if not self.stdio:
            url = self.url.text().strip()
            if (problem := url_problem(url)) is not None:
                raise ValueError(f"The URL {problem}.")
            secrets = parse_pairs(self.secret_headers.toPlainText(), header=True)
            config = replace(
                base,
                kind="http",
                url=url,
                headers=parse_pairs(self.headers.toPlainText(), header=True),
                secret_headers=tuple(dict.fromkeys([*base.secret_headers, *secrets])),
            )
            return ServerEntry(name, config, {}, secrets)
        program = find_program(self.command.text().strip()) if self.command.text().strip() else None
        if program is None:
            raise ValueError("The command is not a program that can be run here.")
        try:
            args = tuple(shlex.split(self.arguments.text()))
        except ValueError as error:
            raise ValueError(f"The arguments cannot be read: {error}.") from None
        if not all(valid_value(a) for a in args):
            raise ValueError("An argument cannot be used (a NUL in it).")
        secrets = parse_pairs(self.secret_env.toPlainText(), header=False)
        config = replace(
            base,
            kind="stdio",
            command=program,
            args=args,
            env=parse_pairs(self.env.toPlainText(), header=False),
            secret_env=tuple(dict.fromkeys([*base.secret_env, *secrets])),
        )
        return ServerEntry(name, config, secrets, {})

    def _refresh(self) -> None:
        stdio = self.stdio
        for field in (self.command, self.arguments, self.env, self.secret_env):
            self.form.setRowVisible(field, stdio)
        for field in (self.url, self.headers, self.secret_headers):
            self.form.setRowVisible(field, not stdio)
        ok = self.buttons.button(QDialogButtonBox.StandardButton.Ok)
        try:
            entry = self.build()
        except ValueError as error:
            self.problem.setText(str(error))
            self.preview.setText("")
            ok.setEnabled(False)
            return
        self.problem.setText("")
        ok.setEnabled(True)
        if stdio:
            self.preview.setText(f"It will run, as you:\n{entry.config.command_line()}")
        else:
            self.preview.setText(f"Rill will connect to {entry.config.url}")

    def _on_buttons_accepted(self) -> None:
        try:
            self.entry = self.build()
        except ValueError as error:
            self.problem.setText(str(error))
            return
        self.accept()


def _pairs_box(hint: str) -> QPlainTextEdit:
    box = QPlainTextEdit()
    box.setPlaceholderText(hint)
    box.setTabChangesFocus(True)
    box.setFixedHeight(box.fontMetrics().lineSpacing() * 3 + 12)
    return box
