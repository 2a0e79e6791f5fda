"""CUDA kernels: chapter 5's kernel descriptions printed as CUDA, and run (chapter 6).

    printer.py        descriptions -> CUDA text (same scalar code as the C printer)
    launch.py         grid, block and arguments of each launch, chosen on the host
    nvcc.py           compile checks with nvcc (no GPU needed), ptxas facts
    emulator.h/.py    the same CUDA text run on the CPU, checked for barrier bugs
    pycuda_device.py  the same launches on a real GPU through PyCUDA
    device.py         which of the two runs here; `python -m minitheano doctor`
    transfer.py       GpuFromHost / HostFromGpu in the graph, inserted and merged
    sharedvar.py      shared variables kept in device memory
    thunk.py          the CUDA linker: one module per function, a thunk per node
    windows.py        chapter 8's windows over images (im2col, col2im, pooling), printed
    counter_rng.py    chapter 8's Philox draws, printed from the generator's numbers
    layer_launch.py   the launches of chapter 8's conv2d, pool_2d and Philox draws
"""
