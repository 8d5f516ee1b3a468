"""The demo never prints its accounts' tokens: they go to a file only the user may read."""

from __future__ import annotations

import stat

from pipeline.demo.api_tour import write_tokens_file
from pipeline.settings import Settings


def test_tokens_go_to_a_private_file_rewritten_on_each_demo(tmp_path):
    demo = Settings.from_env({"TRACEPIPE_STATE_DIR": str(tmp_path / "state")})
    first = write_tokens_file(demo, [("FGE-JAL", "analyst", "tpk_first"), ("FGR", "national_analyst", "tpk_b")])
    assert stat.S_IMODE(first.stat().st_mode) == 0o600
    assert first.read_text(encoding="utf-8") == "FGE-JAL analyst tpk_first\nFGR national_analyst tpk_b\n"
    again = write_tokens_file(demo, [("FGE-JAL", "analyst", "tpk_second")])
    assert again == first and again.read_text(encoding="utf-8") == "FGE-JAL analyst tpk_second\n"
    assert stat.S_IMODE(again.stat().st_mode) == 0o600
