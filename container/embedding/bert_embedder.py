"""`bert-embedder` (Vespa's deprecated BertBaseEmbedder, vespa-reference §7.1): the same pipeline as
hugging-face-embedder, with a WordPiece vocabulary (`<tokenizer-vocab>`, one token a line, its line
number the id) instead of tokenizer.json, and Vespa's defaults for it: max-tokens 384, output
`output_0`, pooling mean or cls, the sequence wrapped in transformer-start-sequence-token (101) and
transformer-end-sequence-token (102). Text is lowercased and split as BERT's uncased tokenizer does."""
from __future__ import annotations

from typing import Mapping

from container.embedding.embedder import HuggingFaceEmbedder
from searchlib.errors import InvalidParameterError


class BertBaseEmbedder(HuggingFaceEmbedder):
    def __init__(self, component_id: str, config: Mapping[str, str], resolve) -> None:
        settings = {"max-tokens": "384", "transformer-output": "output_0", **config}
        if (settings.get("pooling-strategy") or "mean").lower() not in ("mean", "cls"):
            raise InvalidParameterError(f"component '{component_id}': bert-embedder pooling-strategy must be mean "
                                        f"or cls, not '{settings['pooling-strategy']}'")
        if "tokenizer-vocab" not in settings:
            raise InvalidParameterError(f"component '{component_id}': bert-embedder needs <tokenizer-vocab>")
        tokenizer = wordpiece_tokenizer(resolve(settings["tokenizer-vocab"]),
                                        int(settings.get("transformer-start-sequence-token") or 101),
                                        int(settings.get("transformer-end-sequence-token") or 102))
        super().__init__(component_id, settings, resolve, tokenizer=tokenizer)


def wordpiece_tokenizer(vocab_path: str, start: int, end: int):
    from tokenizers import Tokenizer, models, normalizers, pre_tokenizers, processors

    tokenizer = Tokenizer(models.WordPiece.from_file(vocab_path, unk_token="[UNK]"))
    tokenizer.normalizer = normalizers.BertNormalizer(lowercase=True)
    tokenizer.pre_tokenizer = pre_tokenizers.BertPreTokenizer()
    tokenizer.post_processor = processors.TemplateProcessing(
        single="[START] $A [END]", special_tokens=[("[START]", start), ("[END]", end)])
    return tokenizer
