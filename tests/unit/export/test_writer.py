"""The writer: parts flushed with the state, then resharded into the Hub layout in either output format."""

from __future__ import annotations

import json

import pytest

from bayling_data.export.sinks import SINKS, sink_of
from bayling_data.export.writer import OutputFolder, PartWriter, finalize
from bayling_data.records import Record
from bayling_data.run_state import RunState


def _record(i: int) -> Record:
    return Record(
        "chat",
        "g",
        "eng_Latn",
        "deu_Latn",
        [{"role": "user", "content": f"q{i}"}, {"role": "assistant", "content": f"a{i}"}],
    )


@pytest.mark.parametrize("output", list(SINKS))
def test_parts_become_shards_of_at_most_shard_rows_and_every_record_lands_once(tmp_path, output):
    folder = OutputFolder(tmp_path / "out")
    folder.prepare(resume=False, overwrite=False)
    state = RunState()
    writer = PartWriter(folder, state)
    for i in range(23):
        writer.add(_record(i), "dup" if i % 5 == 0 else None)
        if writer.buffered == 7:
            writer.flush(next_index=i)
    writer.flush(next_index=23)
    assert json.loads(folder.state_path.read_text())["next_index"] == 23
    shards = finalize(folder, state, shard_rows=6, val_fraction=0.2, output=SINKS[output])
    counts = {
        split: [sink_of(folder.root / n).count_rows(folder.root / n) for n in names] for split, names in shards.items()
    }
    assert sum(counts["train"]) + sum(counts.get("validation", [])) == 18 and sum(counts["rejected"]) == 5
    assert all(0 < c <= 6 for cs in counts.values() for c in cs)
    assert all(name.endswith(SINKS[output].suffix) for names in shards.values() for name in names)
    folder.unlock()


def test_a_second_folder_object_in_another_process_is_turned_away(tmp_path):
    import subprocess
    import sys

    folder = OutputFolder(tmp_path / "out")
    folder.prepare(resume=False, overwrite=False)
    code = (
        "import sys; from pathlib import Path; from bayling_data.export.writer import OutputFolder, OutputInUse\n"
        "try:\n    OutputFolder(Path(sys.argv[1])).prepare(resume=False, overwrite=False)\n"
        "except OutputInUse as error:\n    print(error)\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code, str(tmp_path / "out")], capture_output=True, text=True, check=True
    )
    assert "being written by another run" in done.stdout
    folder.unlock()
    again = subprocess.run(
        [sys.executable, "-c", code, str(tmp_path / "out")], capture_output=True, text=True, check=True
    )
    assert again.stdout == ""  # free once unlocked
