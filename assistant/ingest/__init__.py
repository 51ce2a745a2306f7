"""Ingestion: articles from files, pages, links and PDFs into the corpus, and the corpus into the index.

    sources.py    a web page, link, PDF or text file as article bytes (html.py, urls.py, pdf.py, extracted.py)
    library.py    adding and removing articles in the corpus directory, checked and atomic
    corpus.py     reading an article file: front matter, paragraphs, its id and text hash
    cleaning.py   the scraping cruft rules every article passes through
    chunking.py   passages that fit the embedding model's window, with sentence spans
    indexer.py    build_index: the corpus into a store, incrementally (store/ chooses the backend)

May import: store (its protocol and the backend switch), embedding, lexical and the layers below;
never retrieval, answer, service or faces (tests/test_layers.py).
"""
