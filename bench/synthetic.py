"""A large index from a real one: real Reuters passages plus perturbed copies of them.

Copy c of a passage drops ~15% of the words of each sentence (so BM25 sees distinct but
realistic texts) and adds Gaussian noise to its passage and sentence vectors, scaled so a
copy keeps cosine ~0.9 with its original (near neighbours, not duplicates). Copies are
written straight into one segment; the IVF index is then trained over it exactly as a
real index crossing the size threshold would do (assistant.compaction).
"""
from __future__ import annotations

import dataclasses
import json
import shutil
import time
from pathlib import Path

import numpy as np

from assistant.store.files import compaction, disk
from assistant.store.files.manifest import Counts, SegmentEntry
from assistant.store.files.segment import StoredPassage

NOISE = 0.025  # per dimension: |noise| ≈ 0.49, cosine to the original ≈ 0.9


def _perturb_text(passage: StoredPassage, rng: np.random.Generator) -> tuple[str, tuple[tuple[int, int], ...]]:
    sentences, spans, cursor = [], [], 0
    for start, end in passage.sentences:
        words = passage.text[start:end].split()
        mask = rng.random(len(words)) > 0.15
        keep = [w for w, k in zip(words, mask) if k] or words[:1]
        sentence = " ".join(keep)
        spans.append((cursor, cursor + len(sentence)))
        sentences.append(sentence)
        cursor += len(sentence) + 1
    return " ".join(sentences), tuple(spans)


def _noisy(vectors: np.ndarray, rng: np.random.Generator, dtype) -> np.ndarray:
    noisy = vectors.astype(np.float32) + rng.normal(scale=NOISE, size=vectors.shape).astype(np.float32)
    noisy /= np.linalg.norm(noisy, axis=1, keepdims=True)
    return noisy.astype(dtype)


def expand(real_index: Path, target: int, *, seed: int = 0) -> dict:
    """~`target` passages: the real index's passages plus perturbed copies (articles, vectors, ...)."""
    rng = np.random.default_rng(seed)
    real = disk.load(real_index)
    passages = [p for s in real.segments for p in s.all_passages() if not real.is_deleted(p.id)]
    articles = {aid: meta for aid, meta in real.articles().items()}
    base_vectors = real.passage_vectors([p.id for p in passages])
    base_sentences = real.sentence_vectors([p.id for p in passages])
    copies = max(1, -(-target // len(passages)))
    all_passages, all_articles, titles, vectors, sentence_blocks = [], [], {}, [], []
    next_id = 0
    for copy in range(copies):
        id_map = {}
        for p, vector, sentences in zip(passages, base_vectors, base_sentences):
            if next_id >= target:
                break
            aid = p.article_id if copy == 0 else f"{p.article_id}-copy{copy}"
            text, spans = (p.text, p.sentences) if copy == 0 else _perturb_text(p, rng)
            all_passages.append(StoredPassage(next_id, aid, p.ordinal, text, 0, len(text), p.paragraphs, spans))
            id_map.setdefault(p.article_id, []).append(next_id)
            vectors.append(vector[None, :] if copy == 0 else _noisy(vector[None, :], rng, np.float32))
            sentence_blocks.append(sentences.astype(np.float16) if copy == 0 else _noisy(sentences, rng, np.float16))
            next_id += 1
        for aid, ids in id_map.items():
            meta = dataclasses.replace(articles[aid], passages=tuple(ids))
            if copy:
                meta = dataclasses.replace(meta, id=f"{aid}-copy{copy}", path=f"copies/{copy}/{meta.path}",
                                           title=f"{meta.title} (copy {copy})", hash=f"{meta.hash}-{copy}",
                                           text_hash=f"{meta.text_hash}-{copy}")
            titles[meta.id] = meta.title
            all_articles.append(meta)
    manifest = real.manifest
    real.close()
    return {"manifest": manifest, "articles": all_articles, "passages": all_passages, "titles": titles,
            "vectors": np.concatenate(vectors), "sentence_vectors": np.concatenate(sentence_blocks),
            "copies": copies, "next_id": next_id}


def build(real_index: Path, out: Path, target: int, *, seed: int = 0) -> dict:
    """Write an index of ~`target` passages at `out`; returns timing notes."""
    started = time.perf_counter()
    parts = expand(real_index, target, seed=seed)
    shutil.rmtree(out, ignore_errors=True)
    out.mkdir(parents=True)
    name = "seg-000001"
    disk.write_segment(out, name, articles=parts["articles"], passages=parts["passages"], titles=parts["titles"],
                        vectors=parts["vectors"], sentence_vectors=parts["sentence_vectors"])
    written = time.perf_counter() - started
    next_id, all_passages = parts["next_id"], parts["passages"]
    sentences = sum(len(p.sentences) for p in all_passages)
    result = parts["manifest"].replace(generation=1, next_id=next_id, segments=(SegmentEntry(name, next_id),),
                                       deleted=None, ann=None,
                                       counts=Counts(len(parts["articles"]), next_id, sentences))
    result, _ = compaction.maybe_merge(out, result)
    disk.publish(out, result)
    return {"passages": next_id, "articles": len(parts["articles"]), "copies": parts["copies"], "write_s": written,
            "ann_s": time.perf_counter() - started - written, "ann": result.ann}


if __name__ == "__main__":
    import sys

    print(json.dumps(build(Path(sys.argv[1]), Path(sys.argv[2]), int(sys.argv[3])), indent=1))
