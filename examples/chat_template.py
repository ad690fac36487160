"""Feed the `messages` column to a chat template, offline: the same call TRL's SFTTrainer makes.

    python examples/chat_template.py out/demo

A tokenizer's `apply_chat_template(messages, tokenize=False)` renders its Jinja template over the
list of {role, content} dicts; here a ChatML template (the format of SmolLM2, Qwen and many others)
is rendered with jinja2 so that nothing is downloaded. With transformers installed the same column
goes straight into `tokenizer.apply_chat_template(row["messages"])` or `SFTTrainer(train_dataset=ds)`.
"""

import sys

import jinja2
from datasets import load_dataset

CHATML = (
    "{% for message in messages %}<|im_start|>{{ message['role'] }}\n{{ message['content'] }}<|im_end|>\n"
    "{% endfor %}{% if add_generation_prompt %}<|im_start|>assistant\n{% endif %}"
)

dataset = load_dataset(sys.argv[1] if len(sys.argv) > 1 else "out/demo", split="train")
template = jinja2.Environment().from_string(CHATML)
print(template.render(messages=dataset[0]["messages"], add_generation_prompt=False))
