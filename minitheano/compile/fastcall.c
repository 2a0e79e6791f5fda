/* A compiled function's call, in C (chapter 5: a call path without ctypes).
 *
 * FastCall(function, cells, descrs, ndims, ndarray, run, out_cells, n_out,
 * single, update_cells, owned_cells) is called with the function's arguments
 * by the vectorcall protocol.  When every argument is exactly what the
 * compiled function wants (a numpy array of its dtype and number of
 * dimensions), it stores them in the input cells, calls `run` (the VM),
 * stores the updates' new values, and returns the outputs -- what
 * Function._call_python does in its common case, without the Python frames.
 * Anything else (keywords, another count, a list, another dtype) goes to the
 * fallback, the Python Function's own call (Function._call_python), whose
 * checks and messages are the readable ones.
 *
 * numpy's headers are not needed: an array's fields are read through the
 * layout of numpy's array struct (as chapter 5's kernels read them).
 */
#include PYTHON_H
#include <stddef.h>

typedef struct {              /* numpy's PyArrayObject, the fields we read */
    PyObject_HEAD
    char *data;
    int nd;
} ArrayHead;

typedef struct {
    PyObject_HEAD
    vectorcallfunc vectorcall;
    PyObject *function;       /* the Python Function: the fallback */
    PyObject *cells;          /* tuple of the input cells (one-item lists) */
    PyObject *descrs;         /* tuple of the dtypes wanted */
    int *ndims;
    Py_ssize_t n;
    PyObject *ndarray;        /* numpy.ndarray */
    PyObject *run;            /* the VM's run() */
    PyObject *out_cells;      /* tuple: the outputs' cells, then the updates' */
    Py_ssize_t n_out;         /* how many of them are the function's outputs */
    int single;               /* return the one output itself, not a list */
    PyObject *update_cells;   /* tuple: where the updates' new values go */
    PyObject *owned_cells;    /* tuple: output cells to empty after the call */
} FastCall;

static PyObject *cell_value(PyObject *cells, Py_ssize_t i) {
    return PyList_GET_ITEM(PyTuple_GET_ITEM(cells, i), 0);   /* borrowed */
}

static int set_cell(PyObject *cells, Py_ssize_t i, PyObject *value) {
    Py_INCREF(value);
    return PyList_SetItem(PyTuple_GET_ITEM(cells, i), 0, value);  /* steals value */
}

/* The descr field sits after data, nd, dimensions, strides and base. */
static Py_ssize_t descr_offset;

static PyObject *descr_of(PyObject *a) {
    return *(PyObject **)((char *)a + descr_offset);
}

static PyObject *fastcall_vectorcall(PyObject *self_, PyObject *const *args, size_t nargsf,
                                     PyObject *kwnames) {
    FastCall *self = (FastCall *)self_;
    Py_ssize_t nargs = PyVectorcall_NARGS(nargsf);
    if (self->function == NULL) {
        PyErr_SetString(PyExc_RuntimeError, "FastCall: called after being cleared");
        return NULL;
    }
    if (kwnames != NULL || nargs != self->n)
        return PyObject_Vectorcall(self->function, args, nargsf, kwnames);
    for (Py_ssize_t i = 0; i < nargs; i++) {
        PyObject *a = args[i];
        if ((PyObject *)Py_TYPE(a) != self->ndarray
                || descr_of(a) != PyTuple_GET_ITEM(self->descrs, i)
                || ((ArrayHead *)a)->nd != self->ndims[i])
            return PyObject_Vectorcall(self->function, args, nargsf, kwnames);
    }
    for (Py_ssize_t i = 0; i < nargs; i++) {
        Py_INCREF(args[i]);
        if (PyList_SetItem(PyTuple_GET_ITEM(self->cells, i), 0, args[i]) < 0)
            return NULL;
    }
    PyObject *done = PyObject_CallNoArgs(self->run);
    if (done == NULL)
        return NULL;
    Py_DECREF(done);
    /* The results first (a cell emptied below may hold one), as new references. */
    PyObject *result;
    if (self->single) {
        result = cell_value(self->out_cells, 0);
        Py_INCREF(result);
    } else {
        result = PyList_New(self->n_out);
        if (result == NULL)
            return NULL;
        for (Py_ssize_t i = 0; i < self->n_out; i++) {
            PyObject *v = cell_value(self->out_cells, i);
            Py_INCREF(v);
            PyList_SET_ITEM(result, i, v);
        }
    }
    /* All new values were computed from the old ones: only now are they stored. */
    for (Py_ssize_t k = 0; k < PyTuple_GET_SIZE(self->update_cells); k++)
        if (set_cell(self->update_cells, k, cell_value(self->out_cells, self->n_out + k)) < 0)
            goto fail;
    for (Py_ssize_t k = 0; k < PyTuple_GET_SIZE(self->owned_cells); k++)
        if (set_cell(self->owned_cells, k, Py_None) < 0)
            goto fail;
    return result;
fail:
    Py_DECREF(result);
    return NULL;
}

static int all_cells(PyObject *cells) {
    for (Py_ssize_t i = 0; i < PyTuple_GET_SIZE(cells); i++) {
        PyObject *cell = PyTuple_GET_ITEM(cells, i);
        if (!PyList_Check(cell) || PyList_GET_SIZE(cell) != 1) {
            PyErr_SetString(PyExc_TypeError, "FastCall: each cell must be a one-item list");
            return 0;
        }
    }
    return 1;
}

static PyObject *fastcall_new(PyTypeObject *type, PyObject *args, PyObject *kw) {
    PyObject *function, *cells, *descrs, *ndims, *ndarray, *run, *out_cells, *update_cells,
        *owned_cells;
    Py_ssize_t n_out;
    int single;
    if (!PyArg_ParseTuple(args, "OO!O!O!OOO!npO!O!", &function, &PyTuple_Type, &cells,
                          &PyTuple_Type, &descrs, &PyTuple_Type, &ndims, &ndarray, &run,
                          &PyTuple_Type, &out_cells, &n_out, &single, &PyTuple_Type,
                          &update_cells, &PyTuple_Type, &owned_cells))
        return NULL;
    Py_ssize_t n = PyTuple_GET_SIZE(cells);
    if (PyTuple_GET_SIZE(descrs) != n || PyTuple_GET_SIZE(ndims) != n
            || n_out < 0 || n_out + PyTuple_GET_SIZE(update_cells) != PyTuple_GET_SIZE(out_cells)
            || (single && n_out != 1)) {
        PyErr_SetString(PyExc_ValueError, "FastCall: the cells do not fit together");
        return NULL;
    }
    if (!all_cells(cells) || !all_cells(out_cells) || !all_cells(update_cells)
            || !all_cells(owned_cells))
        return NULL;
    FastCall *self = (FastCall *)type->tp_alloc(type, 0);
    if (self == NULL)
        return NULL;
    self->ndims = PyMem_Malloc(sizeof(int) * (n ? n : 1));
    if (self->ndims == NULL) {
        Py_DECREF(self);
        return PyErr_NoMemory();
    }
    for (Py_ssize_t i = 0; i < n; i++)
        self->ndims[i] = (int)PyLong_AsLong(PyTuple_GET_ITEM(ndims, i));
    self->n = n;
    self->n_out = n_out;
    self->single = single;
    self->vectorcall = fastcall_vectorcall;
    PyObject *keep[] = {function, cells, descrs, ndarray, run, out_cells, update_cells,
                        owned_cells};
    for (int i = 0; i < 8; i++)
        Py_INCREF(keep[i]);
    self->function = function; self->cells = cells; self->descrs = descrs;
    self->ndarray = ndarray; self->run = run; self->out_cells = out_cells;
    self->update_cells = update_cells; self->owned_cells = owned_cells;
    return (PyObject *)self;
}

/* The garbage collector's view: a Function holds its FastCall, whose fallback
 * (the Function's _call_python) holds the Function: a cycle only the
 * collector can free, so it must see the references. */
static int fastcall_traverse(FastCall *self, visitproc visit, void *arg) {
    Py_VISIT(self->function); Py_VISIT(self->cells); Py_VISIT(self->descrs);
    Py_VISIT(self->ndarray); Py_VISIT(self->run); Py_VISIT(self->out_cells);
    Py_VISIT(self->update_cells); Py_VISIT(self->owned_cells);
    return 0;
}

static int fastcall_clear(FastCall *self) {
    Py_CLEAR(self->function); Py_CLEAR(self->cells); Py_CLEAR(self->descrs);
    Py_CLEAR(self->ndarray); Py_CLEAR(self->run); Py_CLEAR(self->out_cells);
    Py_CLEAR(self->update_cells); Py_CLEAR(self->owned_cells);
    return 0;
}

static void fastcall_dealloc(FastCall *self) {
    PyObject_GC_UnTrack(self);
    fastcall_clear(self);
    PyMem_Free(self->ndims);
    Py_TYPE(self)->tp_free((PyObject *)self);
}

static PyTypeObject FastCallType = {
    PyVarObject_HEAD_INIT(NULL, 0)
    .tp_name = "minitheano_fastcall.FastCall",
    .tp_basicsize = sizeof(FastCall),
    .tp_flags = Py_TPFLAGS_DEFAULT | Py_TPFLAGS_HAVE_VECTORCALL | Py_TPFLAGS_HAVE_GC,
    .tp_traverse = (traverseproc)fastcall_traverse,
    .tp_clear = (inquiry)fastcall_clear,
    .tp_vectorcall_offset = offsetof(FastCall, vectorcall),
    .tp_call = PyVectorcall_Call,
    .tp_new = fastcall_new,
    .tp_dealloc = (destructor)fastcall_dealloc,
    .tp_doc = "A compiled function's common call, in C; anything else goes to the function.",
};

static PyObject *set_descr_offset(PyObject *mod, PyObject *arg) {
    descr_offset = PyLong_AsSsize_t(arg);
    if (descr_offset == -1 && PyErr_Occurred())
        return NULL;
    Py_RETURN_NONE;
}

static PyMethodDef methods[] = {
    {"set_descr_offset", set_descr_offset, METH_O, "Where numpy's array struct keeps descr."},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef module = {PyModuleDef_HEAD_INIT, MODULE_NAME_STR, NULL, -1, methods};

PyMODINIT_FUNC MODULE_INIT(void) {
    if (PyType_Ready(&FastCallType) < 0)
        return NULL;
    PyObject *m = PyModule_Create(&module);
    if (m == NULL)
        return NULL;
    Py_INCREF(&FastCallType);
    if (PyModule_AddObject(m, "FastCall", (PyObject *)&FastCallType) < 0) {
        Py_DECREF(&FastCallType);
        Py_DECREF(m);
        return NULL;
    }
    return m;
}
