"""Where the stateful processors keep their tables: RocksDB under the tables directory (one directory per
processor's app, so a restarted worker finds its own store), or memory when told."""

from __future__ import annotations

from pathlib import Path

from pipeline.settings import Settings
from pipeline.worker.app import ROCKSDB_OPTIONS, build_app


def _table(app):
    (table,) = app.tables.values()
    return table


def test_dedupe_keeps_its_table_on_rocksdb_in_its_own_directory(tmp_path):
    settings = Settings.from_env({"TRACEPIPE_TABLES_DIR": str(tmp_path), "TRACEPIPE_NAMESPACE": "ns1."})
    app = build_app(settings, "dedupe")
    assert str(app.conf.store).startswith("rocksdb:")
    assert Path(app.conf.datadir) == tmp_path / "ns1.tracepipe-dedupe"
    table = _table(app)
    assert table.name == "firearms"
    # The store was built with the small-machine sizes, not RocksDB's 2 GiB block cache.
    assert table.data.rocksdb_options.block_cache_size == ROCKSDB_OPTIONS["block_cache_size"]
    assert table.data.rocksdb_options.write_buffer_size == ROCKSDB_OPTIONS["write_buffer_size"]


def test_two_namespaces_never_share_a_store(tmp_path):
    one = build_app(Settings.from_env({"TRACEPIPE_TABLES_DIR": str(tmp_path), "TRACEPIPE_NAMESPACE": "a."}),
                    "serial_linker")
    two = build_app(Settings.from_env({"TRACEPIPE_TABLES_DIR": str(tmp_path), "TRACEPIPE_NAMESPACE": "b."}),
                    "serial_linker")
    assert Path(one.conf.datadir) != Path(two.conf.datadir)


def test_the_memory_store_is_still_there_when_asked_for(tmp_path):
    app = build_app(Settings.from_env({"TRACEPIPE_TABLES_DIR": str(tmp_path), "TRACEPIPE_TABLE_STORE": "memory"}),
                    "dedupe")
    assert str(app.conf.store).startswith("memory:")
    assert type(_table(app).data).__module__ == "faust.stores.memory"
