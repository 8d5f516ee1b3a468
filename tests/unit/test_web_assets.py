"""The map data the web app ships is exactly what the pinned npm packages hold, with their licence notices."""

from __future__ import annotations

import json
import shutil
import subprocess

from pipeline.paths import PROJECT_ROOT
from pipeline.vocab import load_vocabulary
from pipeline.web.maps import bucket, mexico_map, shapes

SHIPPED = PROJECT_ROOT / "pipeline" / "web" / "static" / "maps"


def test_shipped_maps_match_a_fresh_build_from_the_npm_packages(tmp_path):
    node = shutil.which("node")
    assert node, "node is installed by scripts/bootstrap.sh"
    subprocess.run([node, str(PROJECT_ROOT / "web" / "build_maps.mjs"), str(tmp_path)], check=True, timeout=60,
                   cwd=PROJECT_ROOT / "web")
    for name in ("mexico.json", "usa.json", "mexico.LICENSE.md", "usa.LICENSE.md"):
        assert (tmp_path / name).read_bytes() == (SHIPPED / name).read_bytes(), name
    assert "Attribution 4.0" in (SHIPPED / "mexico.LICENSE.md").read_text()


def test_every_mexican_state_of_the_vocabulary_is_on_the_map_and_filters_by_its_code():
    ids = {location["id"] for location in shapes("mexico")["locations"]}
    assert ids == {state.iso.lower() for state in load_vocabulary().states}
    jalisco = next(s for s in mexico_map({"14": 7, "08": 70})["states"] if s["name"] == "Jalisco")
    assert jalisco["filter"] == "14" and jalisco["count"] == 7
    assert json.loads((SHIPPED / "usa.json").read_text())["license"] == "CC-BY-4.0"


def test_buckets_are_quintiles_of_the_largest_count():
    assert [bucket(n, 100) for n in (0, 1, 20, 21, 60, 100)] == [0, 1, 1, 2, 3, 5]
    assert bucket(5, 0) == 0
