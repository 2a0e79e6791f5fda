"""The list of Theano 1.0's names (minitheano/theano_api.py) agrees with the code, and
the modules minitheano leaves out say so when imported (the book's appendix)."""

import importlib

import pytest

from minitheano import api_reference
from minitheano.theano_api import DIFFERENT, MISSING, PROVIDED, THEANO_1_0


def test_every_entry_agrees_with_the_code():
    assert api_reference.mismatches() == []


def test_each_name_is_listed_once_and_explained():
    seen = set()
    for entry in api_reference.entries():
        assert entry.theano_path not in seen, f"{entry.theano_path} is listed twice"
        seen.add(entry.theano_path)
        assert (entry.status == PROVIDED) == (entry.note == ""), entry


def test_the_check_catches_a_wrong_entry(monkeypatch):
    wrong = dict(THEANO_1_0)
    names = THEANO_1_0["theano.tensor.nnet"]
    # relu exists but is marked missing; a made-up name is marked provided.
    wrong["theano.tensor.nnet"] = type(names)(provided=names.provided + " no_such_thing",
                                             different=names.different,
                                             missing={**names.missing, "relu": "why"})
    monkeypatch.setattr(api_reference, "THEANO_1_0", wrong)
    problems = api_reference.mismatches()
    assert any("nnet.no_such_thing is marked provided" in p for p in problems)
    assert any("nnet.relu is marked not provided" in p for p in problems)
    with pytest.raises(AssertionError, match="contradicts the code"):
        api_reference.markdown_section("theano.tensor.nnet")


@pytest.mark.parametrize("module", ["minitheano.sparse", "minitheano.gpuarray",
                                    "minitheano.sandbox.cuda", "minitheano.sandbox.gpuarray"])
def test_left_out_modules_say_why_on_import(module):
    with pytest.raises(ImportError, match=r"theano\..* is not provided by minitheano: .*"):
        importlib.import_module(module)


def test_the_section_and_summary():
    section = api_reference.markdown_section("theano.tensor.nlinalg").splitlines()
    same = [e.name for e in api_reference.entries()
            if e.module == "theano.tensor.nlinalg" and e.status == PROVIDED]
    assert section[0].startswith(f"Provided as in Theano ({len(same)}): `{same[0]}`, ")
    assert section[2] == "| name | in minitheano | notes |"
    assert "| `Eig` | **not provided** | general eigendecompositions have complex results: " \
           "minitheano has no complex dtypes: its scalars are bools, integers and floats |" \
        in section
    counts = {s: sum(e.status == s for e in api_reference.entries())
              for s in (PROVIDED, DIFFERENT, MISSING)}
    assert f"{counts[PROVIDED]} provided" in api_reference.summary()


def test_a_missing_name_says_why_when_used():
    from minitheano import tensor as T
    with pytest.raises(AttributeError, match=r"theano\.tensor\.nnet\.h_softmax is not provided "
                                             r"by minitheano: the two-level softmax"):
        T.nnet.h_softmax(None)
    with pytest.raises(AttributeError, match="theano.tensor.jv is not provided by minitheano"):
        T.jv(1.0)
    with pytest.raises(AttributeError, match="has no attribute 'no_such_name'"):
        T.no_such_name()
