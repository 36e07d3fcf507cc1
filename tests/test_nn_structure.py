"""The core library stands alone: nothing in sudoku_tf/nn imports the application."""

import ast
from pathlib import Path

import sudoku_tf.nn

NN_DIR = Path(sudoku_tf.nn.__file__).parent


def _imported_modules(tree: ast.AST) -> list[str]:
    """Absolute names of every module an nn file imports."""
    names = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names += [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = ".".join(["sudoku_tf", "nn"][: 3 - node.level]) if node.level else ""
            if node.module:
                names.append(f"{base}.{node.module}".lstrip("."))
            else:
                names += [f"{base}.{a.name}" for a in node.names]
    return names


def test_nn_modules_never_import_the_application():
    offenders = [f"{path.name}: {name}"
                 for path in NN_DIR.glob("*.py")
                 for name in _imported_modules(ast.parse(path.read_text()))
                 if name.startswith("sudoku_tf") and not name.startswith("sudoku_tf.nn")]
    assert not offenders, offenders


PUBLIC_NAMES = """sigmoid relu tanh linear softmax gelu mse cross_entropy mse_delta cross_entropy_delta
binary_cross_entropy binary_cross_entropy_delta WarmupCosine
SGD Momentum Adam AdamW clip_grad_norm warmup_cosine Neuron NeuronN Layer Network NetworkN
LSTMLayer NetworkLSTM LayerNorm WeightMatrix EmbeddingMatrix AttentionHead MultiHeadAttention
TransformerBlock NetworkTransformer NetworkTransformerRL save load""".split()


def test_every_public_name_of_the_design_is_exported_and_none_is_shadowed_by_a_module():
    missing = [n for n in PUBLIC_NAMES if not hasattr(sudoku_tf.nn, n)]
    assert not missing, missing
    modules = [n for n in PUBLIC_NAMES if type(getattr(sudoku_tf.nn, n)).__name__ == "module"]
    assert not modules, modules
