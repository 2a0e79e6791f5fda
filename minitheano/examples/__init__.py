"""Chapter 8's networks, trained on real handwritten digits.

Not part of the compiler: this package is what a reader writes *with* it, the way
Theano-era code trained models (deeplearning.net's tutorials, Lasagne's update rules).

    data.py      the 8x8 digits shipped with the package; a loader for full MNIST
    updates.py   SGD, momentum, Nesterov, RMSprop, Adam, weight decay: `updates` lists
    train.py     minibatches (through `givens` or as arrays), early stopping, tqdm
    logistic.py  softmax regression with the negative log likelihood
    mlp.py       a multi-layer perceptron
    lenet.py     a small LeNet-style convolutional net
    seed_net.py  the second seed's feedforward net, run as written
    params.py    saving and loading parameters (.npz)
    plots.py     loss/accuracy curves, filters, a confusion matrix (matplotlib)

`python -m minitheano.examples.mlp` (or .logistic, .lenet) trains one model from the
command line and prints its test accuracy.
"""
