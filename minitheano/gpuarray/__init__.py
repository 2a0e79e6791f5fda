"""`theano.gpuarray` is not part of minitheano: importing it raises an ImportError
that says why and what to use instead (the book's appendix lists it)."""

from minitheano.api_reference import refuse

refuse(__name__)
