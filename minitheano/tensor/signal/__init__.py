"""`theano.tensor.signal`: pooling (chapter 8).

`from minitheano.tensor.signal import pool` then `pool.pool_2d(...)`, as in
Theano; `signal.downsample.max_pool_2d` is the older spelling.
"""
