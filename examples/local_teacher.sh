#!/usr/bin/env bash
# Make a few interactive-translation dialogues with the embedded local teacher (no API key, no network)
# and print them. local_teacher_dialogues.jsonl beside this file holds dialogues made this way by
# SmolLM2-135M: they passed every filter, and they show how weak a 135M teacher is.
set -euo pipefail
out="${1:-out/local-example}"
bayling-data generate --langs zh,en,de --n 5 --max-turns 2 --out "$out" --overwrite
python - "$out" <<'PY'
import sys
from datasets import load_dataset

for row in load_dataset(sys.argv[1], split="train"):
    print(f"--- {row['src_lang']} -> {row['tgt_lang']}")
    for message in row["messages"]:
        print(f"{message['role']:>9}: {message['content'][:300]}")
PY
