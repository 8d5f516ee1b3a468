"""`tracepipe publish` against the real broker: valid lines arrive decodable and keyed, bad lines do not."""

from __future__ import annotations

import json
import os
import subprocess
import sys

from kafka import KafkaConsumer
from kafka.admin import NewTopic

from pipeline.contract.codec import decode
from pipeline.contract.registry import Record
from pipeline.paths import PROJECT_ROOT
from pipeline.stack.topics import admin_client

GOOD = [
    {"agency_id": "FGE-JAL", "event_id": f"J-{i}", "recovery_date": "2026-10-01", "state": "Jalisco",
     "crime_type": "homicidio", "reported_at": "2026-10-02T10:00:00Z",
     "firearm": {"manufacturer": "Glock", "model": "19", "caliber": "9mm", "serial": f"ABC{i:03d}"}}
    for i in range(20)
]


def _consume_all(settings, topic: str, expected: int) -> list:
    consumer = KafkaConsumer(topic, bootstrap_servers=settings.kafka_bootstrap, auto_offset_reset="earliest",
                             consumer_timeout_ms=8000, group_id=None)
    records = []
    for message in consumer:
        records.append(message)
        if len(records) >= expected:
            break
    consumer.close()
    return records


def test_publish_jsonl_and_csv(stack, settings, unique_name, tmp_path):
    admin = admin_client(settings)
    admin.create_topics([NewTopic(unique_name, num_partitions=3, replication_factor=1)])
    admin.close()
    jsonl = tmp_path / "export.jsonl"
    lines = [json.dumps(row) for row in GOOD[:10]]
    lines.insert(3, '{"agency_id": "FGE-JAL", "event_id": "broken", "recovery_date": "yesterday"}')
    lines.insert(7, "not json at all")
    jsonl.write_text("\n".join(lines) + "\n")
    csv_file = tmp_path / "export.csv"
    csv_file.write_text(
        "agencia,folio,fecha_aseguramiento,estado,delito,fabricante,modelo,calibre,serie,prioridad\n"
        + "".join(f"FGR,F-{i},2026-09-0{i + 1},Sonora,portación,Colt,Super,.38 Super,CS{i}, urgente\n"
                  for i in range(5))
        + "FGR,F-bad,2026-09-01,Sonora,portación,Colt,Super,.38 Super,CS9,quizás\n"
    )
    env = {**os.environ, "COLUMNS": "200"}
    out = subprocess.run([sys.executable, "-m", "pipeline.cli", "publish", str(jsonl), "--topic", unique_name],
                         capture_output=True, text=True, cwd=PROJECT_ROOT, env=env, check=False)
    assert out.returncode == 1, out.stderr
    assert "export.jsonl:4: state: required field is missing" in out.stdout
    assert "export.jsonl:4: recovery_date: not a date" in out.stdout
    assert "export.jsonl:8: -: line is not a JSON object" in out.stdout
    assert "12 line(s) read, 10 published, 2 rejected." in out.stdout

    out_csv = subprocess.run(
        [sys.executable, "-m", "pipeline.cli", "--lang", "es", "publish", str(csv_file), "--topic", unique_name],
        capture_output=True, text=True, cwd=PROJECT_ROOT, env=env, check=False)
    assert out_csv.returncode == 1
    assert "export.csv:7: priority: la prioridad debe ser RUTINA o URGENTE" in out_csv.stdout
    assert "5 publicada(s), 1 rechazada(s)" in out_csv.stdout

    records = _consume_all(settings, unique_name, 15)
    assert len(records) == 15
    decoded = {m.key.decode(): decode(m.value, Record.SEIZURE_EVENT) for m in records}
    assert set(decoded) == {f"FGE-JAL:J-{i}" for i in range(10)} | {f"FGR:F-{i}" for i in range(5)}
    glock = decoded["FGE-JAL:J-4"]
    assert glock["firearm"]["serial"] == "ABC004" and glock["recovery_date"].isoformat() == "2026-10-01"
    colt = decoded["FGR:F-2"]
    assert colt["priority"] == "URGENT" and colt["firearm"]["caliber"] == ".38 Super" and colt["state"] == "Sonora"


def test_dry_run_sends_nothing(stack, settings, unique_name, tmp_path):
    admin = admin_client(settings)
    admin.create_topics([NewTopic(unique_name, num_partitions=1, replication_factor=1)])
    admin.close()
    jsonl = tmp_path / "ok.jsonl"
    jsonl.write_text("\n".join(json.dumps(row) for row in GOOD[:3]) + "\n")
    out = subprocess.run([sys.executable, "-m", "pipeline.cli", "publish", str(jsonl), "--dry-run", "--topic",
                          unique_name], capture_output=True, text=True, cwd=PROJECT_ROOT, check=False)
    assert out.returncode == 0
    assert _consume_all(settings, unique_name, 1) == []
