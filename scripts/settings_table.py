"""Print the settings as a Markdown table (the README's configuration section is made from it)."""

from __future__ import annotations

from bestofn.settings import Settings


def env_names(name: str, field) -> str:  # type: ignore[no-untyped-def]
    alias = field.validation_alias
    if alias is not None and hasattr(alias, "choices"):
        return " / ".join(f"`{c}`" for c in alias.choices)
    return f"`BESTOFN_{name.upper()}`"


def main() -> None:
    print("| variable | default | what it sets |")
    print("|---|---|---|")
    for name, field in Settings.model_fields.items():
        default = field.get_default(call_default_factory=True)
        if hasattr(default, "get_secret_value"):
            default = "(secret)"
        shown = "(empty)" if default in ("", None) else str(default)
        if len(shown) > 40:
            shown = shown[:37] + "..."
        desc = (field.description or "").replace("|", "\\|")
        print(f"| {env_names(name, field)} | `{shown}` | {desc} |")


if __name__ == "__main__":
    main()
