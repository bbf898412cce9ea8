"""Request validation for the fake Gemini server: reject what Google would reject.

Google parses request JSON strictly against its protos, so unknown field names, bad
enum values, bad base64 and empty contents come back as 400 INVALID_ARGUMENT with
recognisable messages; a client bug should fail against the fake the same way.
Bodies arrive here already normalised to camelCase (gemini_wire.normalize).
"""

from __future__ import annotations

import re
from typing import Any

from tests.fakes.gemini_scenarios import ErrorSpec, error_spec
from tests.fakes.gemini_wire import decode_bytes_field

_TOP_LEVEL = {
    "contents",
    "systemInstruction",
    "generationConfig",
    "safetySettings",
    "tools",
    "toolConfig",
    "cachedContent",
    "model",
    "labels",
}
_GENERATION_CONFIG = {
    "stopSequences",
    "responseMimeType",
    "responseSchema",
    "responseJsonSchema",
    "responseModalities",
    "candidateCount",
    "maxOutputTokens",
    "temperature",
    "topP",
    "topK",
    "seed",
    "presencePenalty",
    "frequencyPenalty",
    "responseLogprobs",
    "logprobs",
    "enableEnhancedCivicAnswers",
    "speechConfig",
    "thinkingConfig",
    "mediaResolution",
    "imageConfig",
}
_THINKING_CONFIG = {"includeThoughts", "thinkingBudget", "thinkingLevel"}
_PART_DATA = {
    "text",
    "inlineData",
    "fileData",
    "functionCall",
    "functionResponse",
    "executableCode",
    "codeExecutionResult",
}
_PART_META = {"thought", "thoughtSignature", "videoMetadata", "partMetadata", "mediaResolution"}
_ROLES = {"user", "model"}
HARM_CATEGORIES = {
    "HARM_CATEGORY_UNSPECIFIED",
    "HARM_CATEGORY_HARASSMENT",
    "HARM_CATEGORY_HATE_SPEECH",
    "HARM_CATEGORY_SEXUALLY_EXPLICIT",
    "HARM_CATEGORY_DANGEROUS_CONTENT",
    "HARM_CATEGORY_CIVIC_INTEGRITY",
}
HARM_THRESHOLDS = {
    "HARM_BLOCK_THRESHOLD_UNSPECIFIED",
    "BLOCK_LOW_AND_ABOVE",
    "BLOCK_MEDIUM_AND_ABOVE",
    "BLOCK_ONLY_HIGH",
    "BLOCK_NONE",
    "OFF",
}
# Gemini takes these image types and no others (no GIF, no BMP).
IMAGE_MIME_TYPES = {"image/png", "image/jpeg", "image/webp", "image/heic", "image/heif"}
_OTHER_MIME_PREFIXES = ("audio/", "video/", "text/", "application/pdf", "application/json")

_FILES_URI = re.compile(r"(?:^|/v1beta/)files/([a-z0-9-]+)$")


def invalid(message: str, field_path: str | None = None) -> ErrorSpec:
    """400 INVALID_ARGUMENT, with a BadRequest field violation when a field is to blame."""
    details: list[dict[str, Any]] = []
    if field_path is not None:
        details.append(
            {
                "@type": "type.googleapis.com/google.rpc.BadRequest",
                "fieldViolations": [{"field": field_path, "description": message}],
            }
        )
    return error_spec(400, message, details=details)


def unknown_name(name: str, where: str) -> ErrorSpec:
    """Google's wording for a field it does not know (proto JSON parsing is strict)."""
    at = f" at '{where}'" if where else ""
    return invalid(
        f'Invalid JSON payload received. Unknown name "{name}"{at}: Cannot find field.',
        where or None,
    )


class FileLookup:
    """What validation needs to know about uploaded files (implemented by the file store)."""

    def file_state(self, file_id: str) -> str | None:  # pragma: no cover - interface
        raise NotImplementedError


_TOOLS = {
    "googleSearch",
    "urlContext",
    "codeExecution",
    "functionDeclarations",
    "googleSearchRetrieval",
    "googleMaps",
    "fileSearch",
    "computerUse",
    "retrieval",
}
_TOOL_NAMES = {
    "googleSearch": "Search Grounding",
    "urlContext": "Url Context",
    "codeExecution": "Code execution",
}
# What each model refuses, after Google's model pages (a refused tool is a 400).
_REFUSED_TOOLS: dict[str, set[str]] = {
    "gemini-2.0-flash": {"urlContext"},
    "gemini-2.0-flash-lite": {"googleSearch", "urlContext", "codeExecution"},
    "gemini-2.5-flash-image": {"googleSearch", "urlContext", "codeExecution"},
    "fake-no-tools": {"googleSearch", "urlContext", "codeExecution"},
}


def _validate_tools(tools: Any, model: str) -> ErrorSpec | None:
    if tools is None:
        return None
    if not isinstance(tools, list):
        return invalid("Invalid value at 'tools': expected a list.", "tools")
    for i, tool in enumerate(tools):
        if not isinstance(tool, dict) or len(tool) != 1:
            return invalid(f"Invalid value at 'tools[{i}]': one tool per entry.", f"tools[{i}]")
        (name,) = tool
        if name not in _TOOLS:
            return unknown_name(name, f"tools[{i}]")
        if name in _REFUSED_TOOLS.get(model, set()):
            return invalid(f"{_TOOL_NAMES.get(name, name)} is not supported for {model}.")
        if name == "functionDeclarations":
            problem = _validate_declarations(tool[name], f"tools[{i}].function_declarations")
            if problem:
                return problem
    return None


_DECLARATION_KEYS = {
    "name",
    "description",
    "parameters",
    "parametersJsonSchema",
    "response",
    "responseJsonSchema",
    "behavior",
}
_FUNCTION_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_.:-]{0,63}")


def _validate_declarations(declarations: Any, where: str) -> ErrorSpec | None:
    """Google's FunctionDeclaration: a valid name, known fields, one kind of schema."""
    if not isinstance(declarations, list):
        return invalid(f"Invalid value at '{where}': expected a list.", where)
    for j, declaration in enumerate(declarations):
        at = f"{where}[{j}]"
        if not isinstance(declaration, dict):
            return invalid(f"Invalid value at '{at}': expected an object.", at)
        for key in declaration:
            if key not in _DECLARATION_KEYS:
                return unknown_name(key, at)
        name = declaration.get("name")
        if not isinstance(name, str) or not _FUNCTION_NAME.fullmatch(name):
            return invalid(
                f"* GenerateContentRequest.{at}.name: Invalid function name. Must start with a "
                "letter or an underscore. Must be alphameric (a-z, A-Z, 0-9), underscores (_), "
                "dots (.), colons (:) or dashes (-), with a maximum length of 64.\n"
            )
        if "parameters" in declaration and "parametersJsonSchema" in declaration:
            return invalid(f"* {at}: parameters and parameters_json_schema are exclusive.\n")
        schema = declaration.get("parametersJsonSchema")
        if schema is not None and not isinstance(schema, dict):
            return invalid(f"Invalid value at '{at}.parameters_json_schema'", at)
    return None


def validate_function_turns(contents: list[Any], model: str) -> ErrorSpec | None:
    """A user turn answering a model turn's function calls must answer each one
    (Google's 400), and Gemini 3 needs the call's thought signature back on it."""
    for i, content in enumerate(contents):
        parts = content.get("parts") or []
        calls = [p for p in parts if isinstance(p, dict) and "functionCall" in p]
        if content.get("role") != "model" or not calls:
            continue
        if model.startswith("gemini-3") and "thoughtSignature" not in calls[0]:
            return invalid(
                f"Function call is missing a thought_signature in functionCall parts. This is "
                f"required for tools to work correctly, and missing thought_signature may lead "
                f"to degraded model performance. Additional data, function call "
                f"`default_api:{calls[0]['functionCall'].get('name')}` , position {i + 1}."
            )
        after = contents[i + 1] if i + 1 < len(contents) else None
        replies = [
            p
            for p in (after or {}).get("parts") or []
            if isinstance(p, dict) and "functionResponse" in p
        ]
        if after is None or not replies:
            # The model's own last turn, or calls nobody ran (no tools were offered)
            # followed by the next question: Google takes both.
            continue
        if after.get("role") != "user" or len(replies) != len(calls):
            return invalid(
                "Please ensure that the number of function response parts is equal to the "
                "number of function call parts of the function call turn."
            )
    return None


def _validate_modalities(config: Any, model: str) -> ErrorSpec | None:
    wanted = (config or {}).get("responseModalities") if isinstance(config, dict) else None
    if not wanted:
        return None
    if not isinstance(wanted, list) or any(m not in ("TEXT", "IMAGE", "AUDIO") for m in wanted):
        return invalid("Invalid value at 'generation_config.response_modalities'")
    if "IMAGE" in wanted and "-image" not in model and model != "fake-image":
        return invalid(
            "Model does not support the requested response modalities: "
            + ",".join(m.lower() for m in wanted)
        )
    return None


def validate_generate(
    body: Any, files: FileLookup, *, count_only: bool = False, model: str = ""
) -> ErrorSpec | None:
    """The first thing Google would reject in a (normalised) generate/countTokens body."""
    if not isinstance(body, dict):
        return invalid("Invalid JSON payload received. Expected an object.")
    if count_only and isinstance(body.get("generateContentRequest"), dict):
        return validate_generate(body["generateContentRequest"], files, model=model)
    allowed = _TOP_LEVEL | ({"generateContentRequest"} if count_only else set())
    for key in body:
        if key not in allowed:
            return unknown_name(key, "")
    contents = body.get("contents")
    if not contents:
        return invalid("* GenerateContentRequest.contents: contents is not specified\n")
    if not isinstance(contents, list):
        return invalid("Invalid value at 'contents': expected a list.", "contents")
    for i, content in enumerate(contents):
        problem = _validate_content(content, f"contents[{i}]", files)
        if problem:
            return problem
    system = body.get("systemInstruction")
    if system is not None:
        problem = _validate_content(system, "system_instruction", files, check_role=False)
        if problem:
            return problem
    return (
        validate_function_turns(contents, model)
        or _validate_generation_config(body.get("generationConfig"))
        or _validate_safety(body.get("safetySettings"))
        or _validate_tools(body.get("tools"), model)
        or _validate_modalities(body.get("generationConfig"), model)
    )


def _validate_content(
    content: Any, where: str, files: FileLookup, *, check_role: bool = True
) -> ErrorSpec | None:
    if not isinstance(content, dict):
        return invalid(f"Invalid value at '{where}': expected an object.", where)
    for key in content:
        if key not in {"role", "parts"}:
            return unknown_name(key, where)
    role = content.get("role")
    if check_role and role not in (None, "", *_ROLES):
        return invalid("Please use a valid role: user, model.")
    parts = content.get("parts")
    if not isinstance(parts, list) or not parts:
        return invalid(
            f"* GenerateContentRequest.{where}.parts: contents.parts must not be empty.\n"
        )
    for j, part in enumerate(parts):
        problem = _validate_part(part, f"{where}.parts[{j}]", files)
        if problem:
            return problem
    return None


def _validate_part(part: Any, where: str, files: FileLookup) -> ErrorSpec | None:
    if not isinstance(part, dict):
        return invalid(f"Invalid value at '{where}': expected an object.", where)
    for key in part:
        if key not in _PART_DATA | _PART_META:
            return unknown_name(key, where)
    data_fields = [key for key in part if key in _PART_DATA]
    if len(data_fields) != 1:
        return invalid(
            f"* GenerateContentRequest.{where}.data: required oneof field 'data' must have "
            "one initialized field\n",
            where,
        )
    if "thoughtSignature" in part and decode_bytes_field(part["thoughtSignature"]) is None:
        return invalid(
            f"Invalid value at '{where}.thought_signature' (TYPE_BYTES), Base64 decoding failed",
            f"{where}.thought_signature",
        )
    if "text" in part and not isinstance(part["text"], str):
        return invalid(f"Invalid value at '{where}.text' (TYPE_STRING)", f"{where}.text")
    if "inlineData" in part:
        return _validate_inline(part["inlineData"], f"{where}.inline_data")
    if "fileData" in part:
        return _validate_file_data(part["fileData"], f"{where}.file_data", files)
    return None


def _check_mime(mime: Any) -> ErrorSpec | None:
    if not isinstance(mime, str) or not mime:
        return None
    if mime in IMAGE_MIME_TYPES or mime.startswith(_OTHER_MIME_PREFIXES):
        return None
    return invalid(f"Unsupported MIME type: {mime}")


def _validate_inline(blob: Any, where: str) -> ErrorSpec | None:
    if not isinstance(blob, dict):
        return invalid(f"Invalid value at '{where}': expected an object.", where)
    mime = blob.get("mimeType")
    if not mime:
        return invalid(f"* GenerateContentRequest.{where}.mime_type: mime_type is not specified\n")
    if decode_bytes_field(blob.get("data", "")) is None:
        return invalid(
            f"Invalid value at '{where}.data' (TYPE_BYTES), Base64 decoding failed", f"{where}.data"
        )
    return _check_mime(mime)


def _validate_file_data(ref: Any, where: str, files: FileLookup) -> ErrorSpec | None:
    if not isinstance(ref, dict) or not isinstance(ref.get("fileUri"), str):
        return invalid(f"* GenerateContentRequest.{where}.file_uri: file_uri is not specified\n")
    uri: str = ref["fileUri"]
    match = _FILES_URI.search(uri)
    if match:
        state = files.file_state(match.group(1))
        if state is None:
            return error_spec(
                403,
                f"You do not have permission to access the File "
                f"{match.group(1)} or it may not exist.",
            )
        if state != "ACTIVE":
            return error_spec(
                400,
                f"The File {match.group(1)} is not in an ACTIVE state and usage is not allowed.",
                status="FAILED_PRECONDITION",
            )
    elif not uri.startswith(("gs://", "https://", "http://")):
        return invalid(f"Unsupported file uri: {uri}")
    return _check_mime(ref.get("mimeType"))


def _validate_generation_config(config: Any) -> ErrorSpec | None:
    if config is None:
        return None
    if not isinstance(config, dict):
        return invalid("Invalid value at 'generation_config': expected an object.")
    for key in config:
        if key not in _GENERATION_CONFIG:
            return unknown_name(key, "generation_config")
    thinking = config.get("thinkingConfig") or {}
    for key in thinking:
        if key not in _THINKING_CONFIG:
            return unknown_name(key, "generation_config.thinking_config")
    ranges = {"temperature": (0.0, 2.0), "topP": (0.0, 1.0), "candidateCount": (1, 8)}
    for key, (low, high) in ranges.items():
        value = config.get(key)
        if value is not None and not (isinstance(value, int | float) and low <= value <= high):
            return invalid(
                f"* GenerateContentRequest.generation_config.{key}: "
                f"must be in the range [{low}, {high}]\n"
            )
    return None


def _validate_safety(settings: Any) -> ErrorSpec | None:
    if settings is None:
        return None
    for i, setting in enumerate(settings if isinstance(settings, list) else [settings]):
        category = setting.get("category") if isinstance(setting, dict) else None
        threshold = setting.get("threshold") if isinstance(setting, dict) else None
        if category not in HARM_CATEGORIES:
            return invalid(
                f"Invalid value at 'safety_settings[{i}].category' (type.googleapis.com"
                f'/google.ai.generativelanguage.v1beta.HarmCategory), "{category}"'
            )
        if threshold not in HARM_THRESHOLDS:
            return invalid(
                f"Invalid value at 'safety_settings[{i}].threshold' (type.googleapis."
                f"com/google.ai.generativelanguage.v1beta.SafetySetting.HarmBlock"
                f'Threshold), "{threshold}"'
            )
    return None
