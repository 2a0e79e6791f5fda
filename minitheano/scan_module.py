"""Theano's name for its loop module, so that Theano code runs unchanged (chapter 7):
`theano.scan_module.until(condition)` ends a loop early, and
`theano.scan_module.scan` is `theano.scan`.  The code is in minitheano/scan/."""

from minitheano.scan.build import scan
from minitheano.scan.spec import until

__all__ = ["scan", "until"]
