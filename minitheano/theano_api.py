"""Theano 1.0's public names, by module, and what minitheano makes of each.

Data for the book's appendix (`api_reference.py` checks it against the code).
The names are those of Theano 1.0's `__init__.py` files and of the modules
they star-import, less the internals no program calls (rewrites such as
`local_softmax_with_bias`, dtype lists, helper functions).  For each module:

    provided   names that behave as in Theano 1.0 (spaces between names)
    different  {name: how it differs}
    missing    {name: why it is not provided}
"""

from __future__ import annotations

from dataclasses import dataclass, field

PROVIDED, DIFFERENT, MISSING = "provided", "different", "not provided"


@dataclass(frozen=True)
class ModuleNames:
    provided: str
    different: dict[str, str] = field(default_factory=dict)
    missing: dict[str, str] = field(default_factory=dict)


NOT_YET = "not written yet"
NO_COMPLEX = "minitheano has no complex dtypes: its scalars are bools, integers and floats"
SPECIAL = ("not written: Theano took its special functions from scipy.special, and "
           "minitheano depends on numpy only (erf, erfc, gamma and gammaln come from C's and "
           "Python's math; psi and tri_gamma are series written here)")
AS_GRAPH = "here a graph of other ops, not an op of its own"
THEANO_INTERNAL = "an internal of Theano's rewrites, which programs do not call"
OP_FROM_GRAPH = ("the inner graph runs in Python as one node (inline=True is accepted and "
                 "ignored; grad_overrides and rop_overrides are not supported)")
MODES_BY_NAME = ("modes are named by strings ('FAST_RUN', 'FAST_COMPILE', 'DebugMode') or "
                 "built with Mode(linker, optimizer)")

THEANO_1_0: dict[str, ModuleNames] = {
    "theano": ModuleNames(
        provided="""function shared In Out Mode FunctionMaker config Apply Variable Constant Op
            Type FunctionGraph pp pprint scan map reduce foldl foldr clone OrderedUpdates grad
            Rop Lop as_op subgraph_grad tensor scalar gradient printing compile ifelse
            scan_module dot change_flags Generic generic InconsistencyError""",
        different={
            "OpFromGraph": OP_FROM_GRAPH,
            "scan_checkpoints": "scan itself: the same values and gradients, but no "
                                "checkpointing (every step's state is kept for the gradient; "
                                "save_every_N is checked, padding ignored)",
        },
        missing={
            "SymbolicInput": "Theano's internal form of In; use In",
            "SymbolicOutput": "Theano's internal form of Out; use Out",
            "predefined_modes": MODES_BY_NAME,
            "predefined_linkers": MODES_BY_NAME,
            "predefined_optimizers": MODES_BY_NAME,
            "function_dump": "not written: pickle the inputs and the graph instead",
            "ProfileStats": "profiles come from function(..., profile=True), not this class",
            "Param": "deprecated by Theano itself: use In",
            "OpenMPOp": "no OpenMP: minitheano's C kernels are single-threaded",
            "Container": "a Theano internal; compiled functions keep values in plain cells",
            "CLinker": "linkers are chosen with Mode(linker=...); their classes are internal",
            "OpWiseCLinker": "linkers are chosen with Mode(linker=...); see CLinker",
            "DualLinker": "the 'debug' linker of DebugMode does this comparison",
            "Linker": "linkers are chosen with Mode(linker=...); see CLinker",
            "LocalLinker": "linkers are chosen with Mode(linker=...); see CLinker",
            "PerformLinker": "Mode(linker='py') is the Python linker",
            "sparse": "no sparse matrices: minitheano's tensors are dense numpy arrays "
                      "(use theano.tensor; keep scipy.sparse outside the graph)",
            "gpuarray": "Theano 1.0's libgpuarray back end: minitheano's GPU code is chapter 6's "
                        "CUDA kernels (config.device = 'cuda')",
            "gof": "Theano's graph internals: minitheano.graph holds Apply, Variable, Op, "
                   "Type and FunctionGraph (theano.gof.InconsistencyError is "
                   "theano.InconsistencyError)",
        },
    ),
    "theano.sandbox": ModuleNames(
        provided="rng_mrg",
        missing={
            "cuda": "Theano's old CUDA back end (removed in Theano 1.0 itself): minitheano's "
                    "GPU code is chapter 6's CUDA kernels (config.device = 'cuda')",
            "gpuarray": "the libgpuarray back end; see theano.gpuarray",
        },
    ),
    "theano.tensor": ModuleNames(
        provided="""as_tensor_variable as_tensor constant tensor TensorType TensorVariable
            TensorConstant
            scalar scalars fscalar dscalar bscalar wscalar iscalar lscalar fscalars dscalars
            iscalars lscalars vector vectors fvector dvector bvector wvector ivector lvector
            fvectors dvectors ivectors lvectors matrix matrices fmatrix dmatrix bmatrix wmatrix
            imatrix lmatrix fmatrices dmatrices imatrices lmatrices row rows frow drow brow wrow
            irow lrow frows drows irows lrows col cols fcol dcol bcol wcol icol lcol fcols dcols
            icols lcols tensor3 tensor3s ftensor3 dtensor3 btensor3 wtensor3 itensor3 ltensor3
            ftensor3s dtensor3s itensor3s ltensor3s tensor4 tensor4s ftensor4 dtensor4 btensor4
            wtensor4 itensor4 ltensor4 ftensor4s dtensor4s itensor4s ltensor4s tensor5 tensor5s
            ftensor5 dtensor5 btensor5 wtensor5 itensor5 ltensor5 ftensor5s dtensor5s itensor5s
            ltensor5s tensor6 tensor6s ftensor6 dtensor6 btensor6 wtensor6 itensor6 ltensor6
            ftensor6s dtensor6s itensor6s ltensor6s tensor7 tensor7s ftensor7 dtensor7 btensor7
            wtensor7 itensor7 ltensor7 ftensor7s dtensor7s itensor7s ltensor7s
            TensorFromScalar tensor_from_scalar ScalarFromTensor scalar_from_tensor cast
            Elemwise DimShuffle CAReduce
            max_and_argmax max argmax min argmin Argmax smallest largest
            lt gt le ge eq neq isnan isinf allclose isclose switch where and_ bitwise_and or_
            bitwise_or xor bitwise_xor invert bitwise_not abs_ exp exp2 expm1 neg inv log log2
            log10 log1p sgn ceil floor trunc iround round round_half_to_even
            round_half_away_from_zero sqr square cov sqrt deg2rad rad2deg cos arccos sin arcsin
            tan arctan arctan2 cosh arccosh sinh arcsinh tanh arctanh erf erfc gamma gammaln
            psi tri_gamma choose Choose default
            second fill ones_like zeros_like zeros ones Nonzero nonzero flatnonzero
            nonzero_values tri tril triu eye identity_like Alloc alloc tensor_copy
            sum prod mean var std maximum minimum add sub mul true_div int_div floor_div
            ceil_intdiv mod pow clip transpose tensordot outer any all Dot dot power ptp
            split Split addbroadcast unbroadcast patternbroadcast Join join roll shape_padleft
            shape_padright shape_padaxis stack concatenate get_vector_length horizontal_stack
            vertical_stack stacklists Reshape reshape flatten ARange arange mgrid ogrid
            permute_row_elements inverse_permutation diag diagonal swapaxes
            Subtensor IncSubtensor AdvancedSubtensor AdvancedSubtensor1 AdvancedIncSubtensor
            AdvancedIncSubtensor1 set_subtensor inc_subtensor advanced_subtensor1
            advanced_inc_subtensor1 advanced_set_subtensor1 SpecifyShape specify_shape
            sort argsort topk argtopk topk_and_argtopk bincount squeeze repeat fill_diagonal
            fill_diagonal_offset cumsum cumprod unravel_index ravel_multi_index bartlett divmod
            get_scalar_constant_value NotScalarConstantError grad Rop Lop jacobian hessian
            verify_grad consider_constant
            nnet nlinalg slinalg extra_ops shared_randomstreams raw_random sharedvar signal""",
        different={
            "numeric_grad": "see theano.gradient.numeric_grad",
            "batched_tensordot": "computed as a broadcast product and a sum: simple and "
                                 "differentiable, but it holds the whole product in memory",
            "ExtractDiag": "diagonals of matrices only (Theano: any two axes)",
            "AllocDiag": "a vector on the offset-th diagonal of a square matrix, as numpy.diag",
            "blas": "Gemm, gemm_no_inplace and gemm_inplace (b*Z + a*dot(X, Y) in one BLAS "
                    "call, put in by FAST_RUN's gemm rewrite); Theano's Gemv, Ger and Dot22 "
                    "are not: other products call numpy.dot, which calls BLAS",
        },
        missing={
            "AsTensorError": "as_tensor_variable raises TypeError (Theano's AsTensorError was "
                             "a TypeError too)",
            "ShapeError": "shape mismatches raise ValueError naming the op and the shapes",
            "MaxAndArgmax": "max and argmax are two reductions (Max, Argmax)",
            "Mean": "mean is a sum divided by the length: " + AS_GRAPH,
            "Flatten": "flatten is a Reshape: " + AS_GRAPH,
            "Tri": "tri is a comparison of two aranges: " + AS_GRAPH,
            "Eye": "eye is a comparison of two aranges: " + AS_GRAPH,
            "PermuteRowElements": "permute_row_elements uses PermuteAlongAxis (tensor/sort.py)",
            "AllocEmpty": "outputs are allocated by numpy; there is no uninitialized alloc",
            "Tensor": "Theano's old name for TensorType: use TensorType",
            "opt": "the rewrites are in minitheano.rewrite (chapter 3)",
            "io": "Theano's MPI send and receive ops are not provided",
            "real": NO_COMPLEX, "imag": NO_COMPLEX, "angle": NO_COMPLEX,
            "complex": NO_COMPLEX, "conj": NO_COMPLEX, "complex_from_polar": NO_COMPLEX,
            "cscalar": NO_COMPLEX, "zscalar": NO_COMPLEX, "cvector": NO_COMPLEX,
            "zvector": NO_COMPLEX, "cmatrix": NO_COMPLEX, "zmatrix": NO_COMPLEX,
            "crow": NO_COMPLEX, "zrow": NO_COMPLEX, "ccol": NO_COMPLEX, "zcol": NO_COMPLEX,
            "ctensor3": NO_COMPLEX, "ztensor3": NO_COMPLEX, "ctensor4": NO_COMPLEX,
            "ztensor4": NO_COMPLEX,
            "erfcx": SPECIAL, "erfinv": SPECIAL,
            "erfcinv": SPECIAL, "chi2sf": SPECIAL, "gammainc": SPECIAL, "gammaincc": SPECIAL,
            "gammau": SPECIAL, "gammal": SPECIAL, "j0": SPECIAL, "j1": SPECIAL, "jv": SPECIAL,
            "i0": SPECIAL, "i1": SPECIAL, "iv": SPECIAL,
        },
    ),
    "theano.tensor.nnet": ModuleNames(
        provided="""sigmoid hard_sigmoid softplus softsign relu elu selu softmax logsoftmax
            log_softmax softmax_with_bias binary_crossentropy sigmoid_binary_crossentropy
            categorical_crossentropy crossentropy_categorical_1hot Softmax SoftmaxGrad
            LogSoftmax CrossentropyCategorical1Hot confusion_matrix prepend_0_to_each_row
            prepend_1_to_each_row prepend_scalar_to_each_row batch_normalization
            nnet conv2d conv abstract_conv""",
        different={
            "bn": "batch_normalization_train/_test/batch_normalization as graphs (no fused "
                  "cuDNN op); reached as the attribute T.nnet.bn",
            "ultra_fast_sigmoid": "a graph of the same piecewise approximation; its gradient "
                                  "is that of the approximation (Theano's was y (1 - y))",
            "neighbours": "images2neibs and neibs2images with modes 'valid', "
                          "'ignore_borders', 'half' and 'full' ('wrap_centered' is not "
                          "written); neib_shape and neib_step are Python ints, not tensors",
        },
        missing={
            "h_softmax": "the two-level softmax for large vocabularies is not written; build "
                         "it from softmax and dot",
            "SoftmaxWithBias": "softmax_with_bias is softmax(x + b): " + AS_GRAPH,
            "softmax_graph": THEANO_INTERNAL,
            "crossentropy_softmax_1hot": THEANO_INTERNAL,
            "crossentropy_softmax_1hot_with_bias": THEANO_INTERNAL,
            "crossentropy_softmax_argmax_1hot_with_bias": THEANO_INTERNAL,
            "scalar_sigmoid": "the scalar op is minitheano.scalar's sigmoid",
            "sigm": "the sigmoid family is in theano.tensor.nnet itself",
            "conv2d_transpose": "the transposed convolution is not written; it is "
                                "conv2d_grad_wrt_inputs",
            "conv3d": "3-d convolutions are not provided",
            "conv3d2d": "3-d convolutions are not provided",
            "ctc": "CTC needed the warp-ctc C library; not provided",
        },
    ),
    "theano.tensor.nlinalg": ModuleNames(
        provided="""MatrixInverse matrix_inverse MatrixPinv pinv Det det Eigh EighGrad eigh
            AllocDiag alloc_diag extract_diag diag trace matrix_dot matrix_power svd SVD lstsq
            tensorinv tensorsolve""",
        different={
            "ExtractDiag": "diagonals of matrices only (Theano: any two axes)",
            "qr": "modes 'reduced', 'complete' and 'r' (not 'raw')",
            "norm": "ord 2 and -2 of a matrix are not supported",
        },
        missing={
            "Eig": "general eigendecompositions have complex results: " + NO_COMPLEX,
            "eig": "general eigendecompositions have complex results: " + NO_COMPLEX,
            "QRFull": "one QR op here, for every mode", "QRIncomplete": "see QRFull",
            "TensorInv": "tensorinv is a reshape and matrix_inverse: " + AS_GRAPH,
            "TensorSolve": "tensorsolve is a reshape and solve: " + AS_GRAPH,
        },
    ),
    "theano.tensor.slinalg": ModuleNames(
        provided="""cholesky solve_lower_triangular solve_upper_triangular solve_symmetric
            kron expm Expm""",
        different={
            "Cholesky": "Cholesky(lower=True) without on_error: a matrix that is not "
                        "positive definite raises ValueError",
            "Solve": "Solve(A_structure) computes with numpy.linalg (no scipy); a triangular "
                     "structure reads only its triangle; no overwrite_ arguments",
            "solve": "see Solve",
        },
        missing={
            "CholeskyGrad": "the gradient of Cholesky is a graph of solves: " + AS_GRAPH,
            "eigvalsh": "the generalized problem needs scipy: use nlinalg.eigh for one matrix",
            "Eigvalsh": "see eigvalsh",
        },
    ),
    "theano.tensor.extra_ops": ModuleNames(
        provided="""CumOp cumsum cumprod diff bincount squeeze RepeatOp repeat fill_diagonal
            fill_diagonal_offset scan searchsorted SearchsortedOp compress Unique unique
            unravel_index UnravelIndex ravel_multi_index RavelMultiIndex bartlett to_one_hot""",
        missing={
            "cpu_contiguous": "numpy copes with any strides; nothing to make contiguous",
            "DiffOp": "diff is a slice and a subtraction: " + AS_GRAPH,
            "FillDiagonal": "fill_diagonal is an advanced set_subtensor: " + AS_GRAPH,
            "FillDiagonalOffset": "see FillDiagonal",
        },
    ),
    "theano.gradient": ModuleNames(
        provided="""grad Rop Lop jacobian hessian verify_grad GradientError grad_not_implemented
            grad_undefined DisconnectedType disconnected_type NullTypeGradError
            DisconnectedInputError consider_constant zero_grad undefined_grad disconnected_grad
            grad_clip grad_scale subgraph_grad""",
        different={
            "numeric_grad": "a function returning the list of gradients by central "
                            "differences (Theano's was a class with .gf and max_err)",
        },
    ),
    "theano.printing": ModuleNames(
        provided="""debugprint Print pprint pp min_informative_str var_descriptor
            position_independent_str hex_digest""",
        different={
            "pydotprint": "without Graphviz, format='dot' writes the DOT text and "
                          "format='svg' the book's own drawing; with_ids, cond_highlight "
                          "and scan_graphs have no effect",
        },
        missing={
            "PPrinter": "pp's printer is one function (printing/pretty.py), not a class",
            "OperatorPrinter": "see PPrinter", "PatternPrinter": "see PPrinter",
            "FunctionPrinter": "see PPrinter", "default_printer": "see PPrinter",
        },
    ),
    "theano.compile": ModuleNames(
        provided="""function In Out Mode FunctionMaker shared SharedVariable DeepCopyOp
            deep_copy_op as_op debugmode profiling ViewOp view_op shared_constructor MonitorMode""",
        different={
            "DebugMode": "its tuning arguments are accepted and change nothing: every check "
                         "is always made",
            "ProfileMode": "removed in Theano 1.0 itself; here it raises an error pointing "
                           "to profile=True",
            "OpFromGraph": OP_FROM_GRAPH,
        },
        missing={
            "ProfileStats": "profiles come from function(..., profile=True), not this class",
            "Shape": "in theano.tensor here (T.shape)",
            "shape": "in theano.tensor here (T.shape)",
            "SpecifyShape": "in theano.tensor here (T.specify_shape)",
            "specify_shape": "in theano.tensor here (T.specify_shape)",
            "Rebroadcast": "in theano.tensor here (T.patternbroadcast)",
            "pfunc": "theano.function is the one entry point",
            "Param": "deprecated by Theano itself: use In",
            "rebuild_collect_shared": "an internal of Theano's function compiler",
            "predefined_modes": MODES_BY_NAME,
            "function_dump": "not written: pickle the inputs and the graph instead",
        },
    ),
    "theano.tensor.shared_randomstreams": ModuleNames(
        provided="RandomStreams",
        missing={
            "RandomStateSharedVariable": "a generator is a SharedVariable of RandomStateType",
        },
    ),
    "theano.tensor.raw_random": ModuleNames(
        provided="""RandomFunction RandomStateType random_state_type uniform normal binomial
            random_integers choice poisson permutation multinomial""",
        missing={"RandomStreamsBase": "RandomStreams is one class here"},
    ),
    "theano.ifelse": ModuleNames(provided="ifelse IfElse"),
    "theano.scan_module": ModuleNames(provided="scan until clone"),
}
