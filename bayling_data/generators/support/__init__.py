"""What the generators share and that is no generator itself: seed texts, the spread of languages, the
user side of a dialogue, the multilingual instruction steps."""
