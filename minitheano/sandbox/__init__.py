"""Theano's sandbox: of its modules, minitheano keeps the ones programs still
import (the old GPU back ends here only say that they are gone)."""
