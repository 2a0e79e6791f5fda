"""theano.printing.min_informative_str, and pydotprint's formats that need no
Graphviz (chapter 1)."""

import pytest

import minitheano as theano
from minitheano import tensor as T
from minitheano.printing import dot as dot_module
from minitheano.printing import dot_source, min_informative_str, pydotprint


def test_min_informative_str_stops_at_names_and_tags_repeats():
    a, b = T.dvector("log_likelihood_v_given_h"), T.dvector("log_likelihood_h")
    total = a + b
    assert min_informative_str(total) == ("A. Elemwise{add,no_inplace}\n"
                                          " B. log_likelihood_v_given_h\n"
                                          " C. log_likelihood_h")
    y = T.exp(total) * total
    assert min_informative_str(y, indent_level=2).splitlines() == [
        "  A. Elemwise{mul,no_inplace}",
        "   B. Elemwise{exp,no_inplace}",
        "    C. Elemwise{add,no_inplace}",
        "     D. log_likelihood_v_given_h",
        "     E. log_likelihood_h",
        "   <C>",
    ]
    total.name = "total"
    assert min_informative_str(T.exp(total)) == "A. Elemwise{exp,no_inplace}\n B. total"


@pytest.fixture
def no_graphviz(monkeypatch):
    monkeypatch.setattr(dot_module.shutil, "which", lambda name: None)


def test_pydotprint_without_graphviz_writes_dot_and_svg(tmp_path, no_graphviz):
    x = T.dvector("x")
    f = theano.function([x], T.exp(x) * 2, mode="FAST_COMPILE")
    out = tmp_path / "g.dot"
    pydotprint(f, outfile=str(out), format="dot", print_output_file=False)
    assert out.read_text() == dot_source(f)
    svg = pydotprint(f, format="svg", return_image=True).decode()
    assert svg.startswith("<svg") and "exp" in svg
    with pytest.raises(RuntimeError, match="format='svg'"):
        pydotprint(f, outfile=str(tmp_path / "g.png"))
    assert not (tmp_path / "g.png").exists()
