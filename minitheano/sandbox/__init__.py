"""`theano.sandbox`: where Theano kept MRG_RandomStreams (`sandbox.rng_mrg`, chapter 8)."""
