"""Naming rules of the resource model, one function per kind of name.

Each check raises ``InvalidInput`` with one clear message per broken rule, so a user who types a
bad name learns exactly which rule it breaks.
"""

from __future__ import annotations

import re
import uuid

from amlite.domain.errors import invalid

_WORKSPACE_CHARS = re.compile(r"[A-Za-z0-9_-]+")
_RESOURCE_GROUP_CHARS = re.compile(r"[-\w._()]+", re.UNICODE)


def check_workspace_name(name: str) -> str:
    """Azure ML's rule: 3-33 characters, letters, digits, '-' and '_', starting alphanumeric."""
    code, target = "InvalidWorkspaceName", "workspaceName"
    if not 3 <= len(name) <= 33:
        raise invalid(code, f"Workspace name '{name}' must be between 3 and 33 characters long.", target)
    if not _WORKSPACE_CHARS.fullmatch(name):
        raise invalid(
            code,
            f"Workspace name '{name}' may contain only letters, digits, '-' and '_'.",
            target,
        )
    if not name[0].isalnum():
        raise invalid(code, f"Workspace name '{name}' must start with a letter or a digit.", target)
    return name


def check_resource_group_name(name: str) -> str:
    """ARM's rule: 1-90 characters of letters, digits, '_', '-', '.', '(' and ')', not ending in '.'."""
    code, target = "InvalidResourceGroupName", "resourceGroupName"
    if not 1 <= len(name) <= 90:
        raise invalid(code, f"Resource group name '{name}' must be between 1 and 90 characters long.", target)
    if not _RESOURCE_GROUP_CHARS.fullmatch(name):
        raise invalid(
            code,
            f"Resource group name '{name}' may contain only letters, digits, '_', '-', '.', '(' and ')'.",
            target,
        )
    if name.endswith("."):
        raise invalid(code, f"Resource group name '{name}' must not end with a period.", target)
    return name


def check_subscription_id(value: str) -> str:
    """Subscription ids are GUIDs; the canonical form is lower case."""
    try:
        return str(uuid.UUID(value))
    except ValueError:
        raise invalid(
            "InvalidSubscriptionId", f"The provided subscription identifier '{value}' is malformed or invalid.",
            "subscriptionId",
        ) from None


def has_control_characters(text: str, allowed: str = "") -> bool:
    """Whether ``text`` holds a C0/C1 control character (other than those in ``allowed``) or is not
    well-formed Unicode (a lone surrogate). Azure refuses control characters in tags and names;
    multi-line fields such as descriptions allow ``"\t\n\r"``."""
    for ch in text:
        code = ord(ch)
        if (code < 0x20 or 0x7F <= code < 0xA0 or 0xD800 <= code < 0xE000) and ch not in allowed:
            return True
    return False


def check_tags(tags: object) -> dict[str, str]:
    """ARM tags: at most 50, names up to 512 characters, values up to 256, all strings."""
    if tags is None:
        return {}
    if not isinstance(tags, dict):
        raise invalid("InvalidTag", "Tags must be an object of name/value strings.", "tags")
    if len(tags) > 50:
        raise invalid("InvalidTagCount", "A resource can have at most 50 tags.", "tags")
    clean: dict[str, str] = {}
    for key, value in tags.items():
        if not isinstance(key, str) or not key or len(key) > 512:
            raise invalid("InvalidTagNameLength", f"Tag name '{key}' must be 1 to 512 characters.", "tags")
        if any(ch in key for ch in "<>%&\\?/") or has_control_characters(key):
            raise invalid("InvalidTagNameCharacters", f"Tag name '{key}' has a character that is not allowed.", "tags")
        if value is None:
            value = ""
        if not isinstance(value, (str, int, float, bool)):
            raise invalid("InvalidTag", f"Tag '{key}' must have a string value.", "tags")
        text = value if isinstance(value, str) else str(value).lower() if isinstance(value, bool) else str(value)
        if len(text) > 256:
            raise invalid("InvalidTagValueLength", f"Tag '{key}' has a value longer than 256 characters.", "tags")
        if has_control_characters(text):
            raise invalid("InvalidTag", f"Tag '{key}' has a value with a control character.", "tags")
        clean[key] = text
    return clean


def check_text(value: str | None, target: str, limit: int) -> str | None:
    """An optional text field already known to be a string (the request models check types):
    past ``limit``, or holding a control character other than a line break or a tab, is a 400."""
    if value is None:
        return None
    if len(value) > limit:
        raise invalid("InvalidRequestContent", f"{target} is longer than {limit} characters.", target)
    if has_control_characters(value, "\t\n\r"):
        raise invalid("InvalidRequestContent", f"{target} holds a control character.", target)
    return value
