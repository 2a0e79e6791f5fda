/* A compiled function's schedule, run in C (chapter 5: a call path without ctypes).
 *
 * Schedule(steps, explain, empty, ndarray) is what the VM's `run` does -- call
 * each node in order, then empty the cells of the values nobody reads any
 * more -- with the kernels called from here, as C functions, instead of
 * through their thunks and ctypes.  Each step is a tuple
 *
 *     (thunk, cells to empty after it, kernel)
 *
 * where `kernel` is None for a node without a C kernel (its thunk is called,
 * as the VM would), or
 *
 *     (function address, input cells, output cells, outputs)
 *
 * and each output is (input it is written into or -1, dtype, shape plan,
 * kept arrays, index in them, how to keep, keep function); link/c/steps.py
 * makes them from what the node's thunk uses, and says what each field means.
 *
 * A kernel step does what the thunk's common case does: work out each output's
 * shape, reuse the array kept from the last call if nobody else holds it, or
 * allocate one, call the kernel, store the outputs in their cells.  Anything
 * unusual -- an input that is not an array, a kernel that returns an error
 * code, more arguments than the switch below names -- is handed to the node's
 * own thunk, which does it all again the careful way: same values, same
 * exceptions.  An exception leaves through `explain(exception, k)`, which adds
 * the node's description as the VM does.
 *
 * numpy's headers are not needed: an array's fields are read through the
 * layout of numpy's array struct (as chapter 5's kernels read them).
 */
#include PYTHON_H
#include <stddef.h>
#include <stdint.h>

typedef struct {              /* numpy's PyArrayObject, the fields we read */
    PyObject_HEAD
    char *data;
    int nd;
    Py_ssize_t *dimensions;
} ArrayHead;

#define MAX_ARGS 16           /* kernels of more arguments go through their thunk */
#define MAX_DIMS 32           /* numpy's own limit is 32 (64 in numpy 2) */

enum { KEEP_NEVER, KEEP_ALWAYS, KEEP_CALL };   /* buffers.py's never, always, a budget */

typedef struct {
    int inplace;              /* the input whose array this output is, or -1 */
    PyObject *dtype;
    int ndim;
    int *source;              /* per dimension: the input giving its length (-1: 1) */
    int *source_dim;          /* ... and which of that input's dimensions */
    PyObject *kept;           /* the thunk's list of kept arrays (shared with it) */
    Py_ssize_t index;         /* this output's place in it */
    int keep;
    PyObject *keep_fn;        /* for KEEP_CALL: keep_fn(kept, index, array) */
} Output;

typedef struct {
    PyObject *thunk;
    PyObject *clear;          /* tuple of cells */
    void *function;           /* NULL: call the thunk */
    int n_in, n_out;
    PyObject *in_cells, *out_cells;   /* tuples of cells */
    Output *outputs;
} Step;

typedef struct {
    PyObject_HEAD
    vectorcallfunc vectorcall;
    PyObject *steps_tuple;    /* holds every object the steps point to */
    PyObject *explain, *empty, *ndarray;
    Step *steps;
    Py_ssize_t n;
} Schedule;

/* How many steps ran each way, for the tests (schedule.counts()). */
static unsigned long long runs, kernel_calls, thunk_calls;

typedef int (*K1)(PyObject *);
typedef int (*K2)(PyObject *, PyObject *);
typedef int (*K3)(PyObject *, PyObject *, PyObject *);
typedef int (*K4)(PyObject *, PyObject *, PyObject *, PyObject *);
typedef int (*K5)(PyObject *, PyObject *, PyObject *, PyObject *, PyObject *);
typedef int (*K6)(PyObject *, PyObject *, PyObject *, PyObject *, PyObject *, PyObject *);
#define P PyObject *
typedef int (*K7)(P, P, P, P, P, P, P);
typedef int (*K8)(P, P, P, P, P, P, P, P);
typedef int (*K9)(P, P, P, P, P, P, P, P, P);
typedef int (*K10)(P, P, P, P, P, P, P, P, P, P);
typedef int (*K11)(P, P, P, P, P, P, P, P, P, P, P);
typedef int (*K12)(P, P, P, P, P, P, P, P, P, P, P, P);
typedef int (*K13)(P, P, P, P, P, P, P, P, P, P, P, P, P);
typedef int (*K14)(P, P, P, P, P, P, P, P, P, P, P, P, P, P);
typedef int (*K15)(P, P, P, P, P, P, P, P, P, P, P, P, P, P, P);
typedef int (*K16)(P, P, P, P, P, P, P, P, P, P, P, P, P, P, P, P);
#undef P

/* C calls a function with as many arguments as its type says: a kernel of n
 * arrays is called through the type of n arguments (all pointers). */
static int call_kernel(void *f, int n, PyObject **a) {
    switch (n) {
    case 1: return ((K1)f)(a[0]);
    case 2: return ((K2)f)(a[0], a[1]);
    case 3: return ((K3)f)(a[0], a[1], a[2]);
    case 4: return ((K4)f)(a[0], a[1], a[2], a[3]);
    case 5: return ((K5)f)(a[0], a[1], a[2], a[3], a[4]);
    case 6: return ((K6)f)(a[0], a[1], a[2], a[3], a[4], a[5]);
    case 7: return ((K7)f)(a[0], a[1], a[2], a[3], a[4], a[5], a[6]);
    case 8: return ((K8)f)(a[0], a[1], a[2], a[3], a[4], a[5], a[6], a[7]);
    case 9: return ((K9)f)(a[0], a[1], a[2], a[3], a[4], a[5], a[6], a[7], a[8]);
    case 10: return ((K10)f)(a[0], a[1], a[2], a[3], a[4], a[5], a[6], a[7], a[8], a[9]);
    case 11: return ((K11)f)(a[0], a[1], a[2], a[3], a[4], a[5], a[6], a[7], a[8], a[9],
                             a[10]);
    case 12: return ((K12)f)(a[0], a[1], a[2], a[3], a[4], a[5], a[6], a[7], a[8], a[9],
                             a[10], a[11]);
    case 13: return ((K13)f)(a[0], a[1], a[2], a[3], a[4], a[5], a[6], a[7], a[8], a[9],
                             a[10], a[11], a[12]);
    case 14: return ((K14)f)(a[0], a[1], a[2], a[3], a[4], a[5], a[6], a[7], a[8], a[9],
                             a[10], a[11], a[12], a[13]);
    case 15: return ((K15)f)(a[0], a[1], a[2], a[3], a[4], a[5], a[6], a[7], a[8], a[9],
                             a[10], a[11], a[12], a[13], a[14]);
    case 16: return ((K16)f)(a[0], a[1], a[2], a[3], a[4], a[5], a[6], a[7], a[8], a[9],
                             a[10], a[11], a[12], a[13], a[14], a[15]);
    }
    return -1;   /* not reached: such steps are built with function = NULL */
}

static PyObject *cell_value(PyObject *cells, Py_ssize_t i) {
    return PyList_GET_ITEM(PyTuple_GET_ITEM(cells, i), 0);   /* borrowed */
}

static void set_cell(PyObject *cell, PyObject *value) {
    PyObject *old = PyList_GET_ITEM(cell, 0);
    Py_INCREF(value);
    PyList_SET_ITEM(cell, 0, value);
    Py_XDECREF(old);           /* last: freeing it may run arbitrary code */
}

/* The array to write output `o` into: the kept one when nobody else holds it
 * and it has the shape, else a new one (kept as the thunk would keep it).
 * A new reference; NULL with an exception set; Py_None: ask the thunk. */
static PyObject *output_array(Schedule *self, Output *o, PyObject **args, PyObject *cell) {
    Py_ssize_t dims[MAX_DIMS];
    for (int d = 0; d < o->ndim; d++) {
        int k = o->source[d];
        if (k < 0) {
            dims[d] = 1;
            continue;
        }
        PyObject *a = args[k];
        if ((PyObject *)Py_TYPE(a) != self->ndarray || ((ArrayHead *)a)->nd <= o->source_dim[d])
            Py_RETURN_NONE;
        dims[d] = ((ArrayHead *)a)->dimensions[o->source_dim[d]];
    }
    PyObject *old = PyList_GET_ITEM(o->kept, o->index);
    /* Held by the list of kept arrays, and maybe by its cell: by nobody else. */
    if (old != Py_None && Py_REFCNT(old) == 1 + (PyList_GET_ITEM(cell, 0) == old)
            && (PyObject *)Py_TYPE(old) == self->ndarray && ((ArrayHead *)old)->nd == o->ndim) {
        int same = 1;
        for (int d = 0; d < o->ndim; d++)
            same &= ((ArrayHead *)old)->dimensions[d] == dims[d];
        if (same) {
            Py_INCREF(old);
            return old;
        }
    }
    PyObject *shape = PyTuple_New(o->ndim);
    if (shape == NULL)
        return NULL;
    for (int d = 0; d < o->ndim; d++) {
        PyObject *length = PyLong_FromSsize_t(dims[d]);
        if (length == NULL) {
            Py_DECREF(shape);
            return NULL;
        }
        PyTuple_SET_ITEM(shape, d, length);
    }
    PyObject *empty_args[] = {shape, o->dtype};
    PyObject *out = PyObject_Vectorcall(self->empty, empty_args, 2, NULL);
    Py_DECREF(shape);
    if (out == NULL)
        return NULL;
    if (o->keep == KEEP_ALWAYS) {
        Py_INCREF(out);
        if (PyList_SetItem(o->kept, o->index, out) < 0) {
            Py_DECREF(out);
            return NULL;
        }
    } else if (o->keep == KEEP_CALL) {
        PyObject *index = PyLong_FromSsize_t(o->index);
        if (index == NULL) {
            Py_DECREF(out);
            return NULL;
        }
        PyObject *keep_args[] = {o->kept, index, out};
        PyObject *done = PyObject_Vectorcall(o->keep_fn, keep_args, 3, NULL);
        Py_DECREF(index);
        if (done == NULL) {
            Py_DECREF(out);
            return NULL;
        }
        Py_DECREF(done);
    }
    return out;
}

/* One node by its kernel: 0 done, 1 hand it to the thunk, -1 an exception. */
static int run_kernel(Schedule *self, Step *s) {
    /* --8<-- [start:schedule-kernel] */
    PyObject *args[MAX_ARGS];
    PyObject *owned[MAX_ARGS];
    int n_owned = 0, status = 0;
    for (int i = 0; i < s->n_in; i++)
        args[i] = cell_value(s->in_cells, i);
    for (int j = 0; j < s->n_out; j++) {
        Output *o = &s->outputs[j];
        PyObject *out;
        if (o->inplace >= 0) {
            out = args[o->inplace];
        } else {
            out = output_array(self, o, args, PyTuple_GET_ITEM(s->out_cells, j));
            if (out == NULL || out == Py_None) {
                status = out == NULL ? -1 : 1;
                Py_XDECREF(out);
                goto done;
            }
            owned[n_owned++] = out;
        }
        args[s->n_in + j] = out;
    }
    if (call_kernel(s->function, s->n_in + s->n_out, args) != 0) {
        status = 1;
        goto done;
    }
    kernel_calls++;
    for (int j = 0; j < s->n_out; j++)
        set_cell(PyTuple_GET_ITEM(s->out_cells, j), args[s->n_in + j]);
done:
    for (int j = 0; j < n_owned; j++)
        Py_DECREF(owned[j]);
    return status;
    /* --8<-- [end:schedule-kernel] */
}

static int run_step(Schedule *self, Step *s) {
    if (s->function != NULL) {
        int status = run_kernel(self, s);
        if (status <= 0)
            return status;
    }
    thunk_calls++;
    PyObject *done = PyObject_CallNoArgs(s->thunk);
    if (done == NULL)
        return -1;
    Py_DECREF(done);
    return 0;
}

static PyObject *schedule_vectorcall(PyObject *self_, PyObject *const *args, size_t nargsf,
                                     PyObject *kwnames) {
    Schedule *self = (Schedule *)self_;
    if (PyVectorcall_NARGS(nargsf) != 0 || kwnames != NULL) {
        PyErr_SetString(PyExc_TypeError, "a schedule's run takes no arguments");
        return NULL;
    }
    if (self->steps_tuple == NULL) {
        PyErr_SetString(PyExc_RuntimeError, "Schedule: called after being cleared");
        return NULL;
    }
    runs++;
    /* --8<-- [start:schedule-loop] */
    for (Py_ssize_t k = 0; k < self->n; k++) {
        Step *s = &self->steps[k];
        if (run_step(self, s) < 0) {
            /* As the VM: say which node failed, and raise the same exception. */
            PyObject *type, *value, *traceback;
            PyErr_Fetch(&type, &value, &traceback);
            PyErr_NormalizeException(&type, &value, &traceback);
            PyObject *where = PyLong_FromSsize_t(k);
            PyObject *said = where == NULL ? NULL
                : PyObject_CallFunctionObjArgs(self->explain, value ? value : Py_None, where,
                                               NULL);
            Py_XDECREF(where);
            Py_XDECREF(said);
            PyErr_Clear();    /* explain's own failure must not hide the node's */
            PyErr_Restore(type, value, traceback);
            return NULL;
        }
        for (Py_ssize_t c = 0; c < PyTuple_GET_SIZE(s->clear); c++)
            set_cell(PyTuple_GET_ITEM(s->clear, c), Py_None);
    }
    /* --8<-- [end:schedule-loop] */
    Py_RETURN_NONE;
}

/* -- building the steps from their tuples ---------------------------------------- */

static int read_output(Output *o, PyObject *spec) {
    PyObject *plan, *dtype, *kept, *keep_fn;
    int inplace, keep;
    Py_ssize_t index;
    if (!PyArg_ParseTuple(spec, "iOO!O!niO;Schedule: an output is (inplace, dtype, plan, "
                          "kept, index, keep, keep_fn)", &inplace, &dtype, &PyTuple_Type, &plan,
                          &PyList_Type, &kept, &index, &keep, &keep_fn))
        return -1;
    if (index < 0 || index >= PyList_GET_SIZE(kept) || PyTuple_GET_SIZE(plan) > MAX_DIMS
            || keep < KEEP_NEVER || keep > KEEP_CALL) {
        PyErr_SetString(PyExc_ValueError, "Schedule: an output's fields do not fit together");
        return -1;
    }
    o->inplace = inplace; o->dtype = dtype; o->kept = kept; o->index = index;
    o->keep = keep; o->keep_fn = keep_fn;
    o->ndim = (int)PyTuple_GET_SIZE(plan);
    o->source = PyMem_Calloc(o->ndim + 1, sizeof(int));
    o->source_dim = PyMem_Calloc(o->ndim + 1, sizeof(int));
    if (o->source == NULL || o->source_dim == NULL) {
        PyErr_NoMemory();
        return -1;
    }
    for (int d = 0; d < o->ndim; d++)
        if (!PyArg_ParseTuple(PyTuple_GET_ITEM(plan, d), "ii", &o->source[d],
                              &o->source_dim[d]))
            return -1;
    return 0;
}

static int all_cells(PyObject *cells) {
    for (Py_ssize_t i = 0; i < PyTuple_GET_SIZE(cells); i++) {
        PyObject *cell = PyTuple_GET_ITEM(cells, i);
        if (!PyList_Check(cell) || PyList_GET_SIZE(cell) != 1) {
            PyErr_SetString(PyExc_TypeError, "Schedule: each cell must be a one-item list");
            return 0;
        }
    }
    return 1;
}

static int read_step(Step *s, PyObject *spec) {
    PyObject *kernel, *outputs;
    unsigned long long address;
    if (!PyArg_ParseTuple(spec, "OO!O;Schedule: a step is (thunk, cells to empty, kernel)",
                          &s->thunk, &PyTuple_Type, &s->clear, &kernel))
        return -1;
    if (!all_cells(s->clear))
        return -1;
    if (kernel == Py_None)
        return 0;
    if (!PyArg_ParseTuple(kernel, "KO!O!O!;Schedule: a kernel is (address, input cells, "
                          "output cells, outputs)", &address, &PyTuple_Type, &s->in_cells,
                          &PyTuple_Type, &s->out_cells, &PyTuple_Type, &outputs))
        return -1;
    s->n_in = (int)PyTuple_GET_SIZE(s->in_cells);
    s->n_out = (int)PyTuple_GET_SIZE(s->out_cells);
    if (!all_cells(s->in_cells) || !all_cells(s->out_cells))
        return -1;
    if (PyTuple_GET_SIZE(outputs) != s->n_out) {
        PyErr_SetString(PyExc_ValueError, "Schedule: one output spec per output cell");
        return -1;
    }
    s->outputs = PyMem_Calloc(s->n_out + 1, sizeof(Output));
    if (s->outputs == NULL) {
        PyErr_NoMemory();
        return -1;
    }
    for (int j = 0; j < s->n_out; j++) {
        if (read_output(&s->outputs[j], PyTuple_GET_ITEM(outputs, j)) < 0)
            return -1;
        int inplace = s->outputs[j].inplace;
        for (int d = 0; d < s->outputs[j].ndim; d++)
            if (s->outputs[j].source[d] >= s->n_in) {
                PyErr_SetString(PyExc_ValueError, "Schedule: a shape plan names no input");
                return -1;
            }
        if (inplace >= s->n_in) {
            PyErr_SetString(PyExc_ValueError, "Schedule: an output in place of no input");
            return -1;
        }
    }
    if (s->n_in + s->n_out <= MAX_ARGS)   /* else: the thunk, always */
        s->function = (void *)(uintptr_t)address;
    return 0;
}

static void free_steps(Step *steps, Py_ssize_t n) {
    if (steps == NULL)
        return;
    for (Py_ssize_t k = 0; k < n; k++) {
        if (steps[k].outputs == NULL)
            continue;
        for (int j = 0; j < steps[k].n_out; j++) {
            PyMem_Free(steps[k].outputs[j].source);
            PyMem_Free(steps[k].outputs[j].source_dim);
        }
        PyMem_Free(steps[k].outputs);
    }
    PyMem_Free(steps);
}

static PyObject *schedule_new(PyTypeObject *type, PyObject *args, PyObject *kw) {
    PyObject *steps, *explain, *empty, *ndarray;
    if (!PyArg_ParseTuple(args, "O!OOO", &PyTuple_Type, &steps, &explain, &empty, &ndarray))
        return NULL;
    Schedule *self = (Schedule *)type->tp_alloc(type, 0);
    if (self == NULL)
        return NULL;
    self->n = PyTuple_GET_SIZE(steps);
    self->steps = PyMem_Calloc(self->n + 1, sizeof(Step));
    self->vectorcall = schedule_vectorcall;
    if (self->steps == NULL) {
        Py_DECREF(self);
        return PyErr_NoMemory();
    }
    for (Py_ssize_t k = 0; k < self->n; k++)
        if (read_step(&self->steps[k], PyTuple_GET_ITEM(steps, k)) < 0) {
            Py_DECREF(self);
            return NULL;
        }
    Py_INCREF(steps); Py_INCREF(explain); Py_INCREF(empty); Py_INCREF(ndarray);
    self->steps_tuple = steps; self->explain = explain; self->empty = empty;
    self->ndarray = ndarray;
    return (PyObject *)self;
}

/* The collector's view: the steps hold thunks, whose cells may hold anything. */
static int schedule_traverse(Schedule *self, visitproc visit, void *arg) {
    Py_VISIT(self->steps_tuple); Py_VISIT(self->explain); Py_VISIT(self->empty);
    Py_VISIT(self->ndarray);
    return 0;
}

static int schedule_clear(Schedule *self) {
    Py_CLEAR(self->steps_tuple); Py_CLEAR(self->explain); Py_CLEAR(self->empty);
    Py_CLEAR(self->ndarray);
    return 0;
}

static void schedule_dealloc(Schedule *self) {
    PyObject_GC_UnTrack(self);
    schedule_clear(self);
    free_steps(self->steps, self->n);
    Py_TYPE(self)->tp_free((PyObject *)self);
}

static PyTypeObject ScheduleType = {
    PyVarObject_HEAD_INIT(NULL, 0)
    .tp_name = "minitheano_schedule.Schedule",
    .tp_basicsize = sizeof(Schedule),
    .tp_flags = Py_TPFLAGS_DEFAULT | Py_TPFLAGS_HAVE_VECTORCALL | Py_TPFLAGS_HAVE_GC,
    .tp_traverse = (traverseproc)schedule_traverse,
    .tp_clear = (inquiry)schedule_clear,
    .tp_vectorcall_offset = offsetof(Schedule, vectorcall),
    .tp_call = PyVectorcall_Call,
    .tp_new = schedule_new,
    .tp_dealloc = (destructor)schedule_dealloc,
    .tp_doc = "A function's schedule: each node's kernel called from C, or its thunk.",
};

static PyObject *counts(PyObject *mod, PyObject *unused) {
    return Py_BuildValue("{sKsKsK}", "runs", runs, "kernel_calls", kernel_calls,
                         "thunk_calls", thunk_calls);
}

static PyMethodDef methods[] = {
    {"counts", counts, METH_NOARGS, "How many runs, kernel calls and thunk calls so far."},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef module = {PyModuleDef_HEAD_INIT, MODULE_NAME_STR, NULL, -1, methods};

PyMODINIT_FUNC MODULE_INIT(void) {
    if (PyType_Ready(&ScheduleType) < 0)
        return NULL;
    PyObject *m = PyModule_Create(&module);
    if (m == NULL)
        return NULL;
    Py_INCREF(&ScheduleType);
    if (PyModule_AddObject(m, "Schedule", (PyObject *)&ScheduleType) < 0) {
        Py_DECREF(&ScheduleType);
        Py_DECREF(m);
        return NULL;
    }
    return m;
}
