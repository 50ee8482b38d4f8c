"""Embedder components declared in services.xml: hugging-face-tokenizer and hugging-face-embedder."""
