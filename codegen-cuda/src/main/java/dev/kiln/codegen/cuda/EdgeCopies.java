package dev.kiln.codegen.cuda;

import dev.kiln.ir.backend.HostBuffer;
import dev.kiln.ir.kernel.KernelGraph;
import jcuda.Pointer;
import jcuda.driver.CUdeviceptr;
import jcuda.driver.CUstream;
import jcuda.driver.JCudaDriver;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The copies at a program's edges, one transfer each way: every input and output buffer lives in one device
 * allocation (inputs only, then buffers both read and written back, then outputs only), mirrored by one pinned host
 * staging area. A run packs its inputs into the staging area and copies them over in one transfer; after the kernels
 * one transfer brings the outputs back, and they are unpacked into the caller's arrays. A copy per buffer from a Java
 * array cost ~15 µs each, half of a LeNet step's time on an H100. Like the program's other device memory, the block
 * and the pinned area live as long as the program (compiled programs stay in the executor's cache for the process).
 */
final class EdgeCopies {
    private static final int ALIGN = 256;

    private final KernelGraph graph;
    private final Map<Integer, Long> offsets = new HashMap<>();
    private final long inBytes, outStart, bytes;
    private CUdeviceptr device;
    private Pointer host;

    EdgeCopies(KernelGraph graph) {
        this.graph = graph;
        Set<Integer> in = new LinkedHashSet<>(graph.inputs()), out = new LinkedHashSet<>(graph.outputs());
        long bothStart = place(in.stream().filter(id -> !out.contains(id)).toList(), 0);
        long inEnd = place(in.stream().filter(out::contains).toList(), bothStart);
        long end = place(out.stream().filter(id -> !in.contains(id)).toList(), inEnd);
        this.inBytes = inEnd;
        this.outStart = bothStart;
        this.bytes = end;
    }

    /** Gives each buffer an aligned offset from {@code at} on; returns the end. */
    private long place(List<Integer> ids, long at) {
        for (int id : ids) {
            offsets.put(id, at);
            at += (graph.buffer(id).bytes() + ALIGN - 1) / ALIGN * ALIGN;
        }
        return at;
    }

    /** Allocates the device block and the pinned staging area; {@code pointer} is valid after this. */
    void allocate() {
        device = new CUdeviceptr();
        JCudaDriver.cuMemAlloc(device, Math.max(bytes, 1));
        host = new Pointer();
        JCudaDriver.cuMemAllocHost(host, Math.max(bytes, 1));
    }

    /** Whether buffer {@code id} is an input or output, living in the edge block. */
    boolean holds(int id) { return offsets.containsKey(id); }

    CUdeviceptr pointer(int id) { return device.withByteOffset(offsets.get(id)); }

    /** Packs the inputs and starts their transfer on {@code stream}. */
    void copyIn(HostBuffer[] inputs, CUstream stream) {
        for (int i = 0; i < inputs.length; i++) transfer(inputs[i], staged(graph.inputs().get(i)), true);
        if (inBytes > 0) JCudaDriver.cuMemcpyHtoDAsync(device, host, inBytes, stream);
    }

    /** Brings the outputs back after what is queued on {@code stream} and unpacks them. */
    void copyOut(HostBuffer[] outputs, CUstream stream) {
        if (bytes > outStart) {
            JCudaDriver.cuMemcpyDtoHAsync(host.withByteOffset(outStart), device.withByteOffset(outStart), bytes - outStart, stream);
        }
        JCudaDriver.cuStreamSynchronize(stream);
        for (int i = 0; i < outputs.length; i++) transfer(outputs[i], staged(graph.outputs().get(i)), false);
    }

    /** Buffer {@code id}'s part of the staging area. */
    private ByteBuffer staged(int id) {
        if (graph.buffer(id).bytes() > Integer.MAX_VALUE) {
            throw new IllegalArgumentException("buffer " + id + " takes " + graph.buffer(id).bytes() + " bytes: a CUDA program's inputs and"
                    + " outputs are copied through byte buffers of at most 2 GiB each");
        }
        // The offset goes to getByteBuffer itself: JCuda's host.withByteOffset(o).getByteBuffer(0, n) starts at host, not
        // at o (every buffer then read the first one's bytes; the GPU tests caught it on the H100).
        return host.getByteBuffer(offsets.get(id), graph.buffer(id).bytes()).order(ByteOrder.nativeOrder());
    }

    /** Copies {@code b}'s elements into the staged bytes ({@code in}) or out of them. */
    private static void transfer(HostBuffer b, ByteBuffer staged, boolean in) {
        int n = b.length();
        switch (b.dtype()) {
            case F32 -> { var v = staged.asFloatBuffer(); if (in) v.put((float[]) b.array(), 0, n); else v.get((float[]) b.array(), 0, n); }
            case F64 -> { var v = staged.asDoubleBuffer(); if (in) v.put((double[]) b.array(), 0, n); else v.get((double[]) b.array(), 0, n); }
            case I32 -> { var v = staged.asIntBuffer(); if (in) v.put((int[]) b.array(), 0, n); else v.get((int[]) b.array(), 0, n); }
            case I64 -> { var v = staged.asLongBuffer(); if (in) v.put((long[]) b.array(), 0, n); else v.get((long[]) b.array(), 0, n); }
            case BOOL -> { if (in) staged.put((byte[]) b.array(), 0, n); else staged.get((byte[]) b.array(), 0, n); }
        }
    }
}
