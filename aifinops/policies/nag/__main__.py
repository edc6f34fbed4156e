"""``python -m aifinops.policies.nag [--check]``: write RULES.md from the pack (or, with --check, exit 1
when it is out of date)."""

from __future__ import annotations

import sys

from aifinops.policies.nag.rules_doc import rules_markdown
from aifinops.policies.rules_md import RULES_MD


def main(argv: list[str]) -> int:
    text = rules_markdown()
    if "--check" in argv:
        if not RULES_MD.exists() or RULES_MD.read_text(encoding="utf-8") != text:
            print(f"{RULES_MD} is out of date: run python -m aifinops.policies.nag", file=sys.stderr)
            return 1
        return 0
    RULES_MD.write_text(text, encoding="utf-8")
    print(f"wrote {RULES_MD}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
