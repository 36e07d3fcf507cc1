"""sudoku_tf.nn: a small neural-network library in NumPy with hand-written backprop.

It knows nothing of Sudoku. Every layer has `forward(x)` (caching what backward needs)
and `backward(dy) -> dx` (accumulating parameter gradients with +=). Everything works on
one sample and on a batch; float32 is the fast path, float64 serves gradient checks.

Dimension letters used in shape comments throughout:
    B batch, T tokens (sequence length), D model width, H heads, Dh head width (D // H),
    F feed-forward width, V vocabulary, C output classes, L blocks.
"""

from .io import ModelFileError, load, load_checkpoint, load_with_meta, save
from .optim import (SGD, Adam, AdamW, Momentum, Optimizer, WarmupCosine, clip_grad_norm, make_optimizer,
                    warmup_cosine)
from .params import Module, Param
from .parallel import get_threads, set_threads
# the dense family
from .activations import Activation, gelu, get_activation, linear, log_softmax, relu, sigmoid, softmax, tanh
from .dense import Layer, Network, NetworkN, Neuron, NeuronN
from .fit import History
from .losses import (binary_cross_entropy, binary_cross_entropy_delta, cross_entropy, cross_entropy_delta,
                     mse, mse_delta)
# the sequence family
from .lstm import LSTMLayer, NetworkLSTM
from .network_transformer_rl import NetworkTransformerRL
from .attention import AttentionHead, MultiHeadAttention
from .matrices import EmbeddingMatrix, WeightMatrix
from .network_transformer import NetworkTransformer
from .recurrence import RecurrentPass, RecurrentState
from .norm import LayerNorm
from .transformer import FeedForward, TransformerBlock
