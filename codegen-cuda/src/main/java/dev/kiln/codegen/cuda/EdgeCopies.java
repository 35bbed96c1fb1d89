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
 * array cost ~15 µs each, half of a LeNet step's time on an H100.
 */
final class EdgeCopies {
    private static final int ALIGN = 256;

    private final KernelGraph graph;
    private final Map<Integer, Long> offsets = new HashMap<>();
    private final long inBytes, outStart, bytes;
    private CUdeviceptr device;
    private Pointer host;
    private ByteBuffer staging;

    EdgeCopies(KernelGraph graph) {
        this.graph = graph;
        Set<Integer> in = new LinkedHashSet<>(graph.inputs()), out = new LinkedHashSet<>(graph.outputs());
        long bothStart = place(in.stream().filter(id -> !out.contains(id)).toList(), 0);
        long inEnd = place(in.stream().filter(out::contains).toList(), bothStart);
        long end = place(out.stream().filter(id -> !in.contains(id)).toList(), inEnd);
        if (end > Integer.MAX_VALUE) {
            throw new IllegalArgumentException("a CUDA program's inputs and outputs must fit in 2 GiB together; this one's take " + end + " bytes");
        }
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
        staging = host.getByteBuffer(0, Math.max(bytes, 1)).order(ByteOrder.nativeOrder());
    }

    /** Whether buffer {@code id} is an input or output, living in the edge block. */
    boolean holds(int id) { return offsets.containsKey(id); }

    CUdeviceptr pointer(int id) { return device.withByteOffset(offsets.get(id)); }

    /** Packs the inputs and starts their transfer on {@code stream}. */
    void copyIn(HostBuffer[] inputs, CUstream stream) {
        for (int i = 0; i < inputs.length; i++) put(offsets.get(graph.inputs().get(i)), inputs[i]);
        if (inBytes > 0) JCudaDriver.cuMemcpyHtoDAsync(device, host, inBytes, stream);
    }

    /** Brings the outputs back after what is queued on {@code stream} and unpacks them. */
    void copyOut(HostBuffer[] outputs, CUstream stream) {
        if (bytes > outStart) {
            JCudaDriver.cuMemcpyDtoHAsync(host.withByteOffset(outStart), device.withByteOffset(outStart), bytes - outStart, stream);
        }
        JCudaDriver.cuStreamSynchronize(stream);
        for (int i = 0; i < outputs.length; i++) get(offsets.get(graph.outputs().get(i)), outputs[i]);
    }

    private void put(long offset, HostBuffer b) {
        ByteBuffer at = staging.duplicate().order(ByteOrder.nativeOrder()).position((int) offset);
        int n = b.length();
        switch (b.dtype()) {
            case F32 -> at.asFloatBuffer().put((float[]) b.array(), 0, n);
            case F64 -> at.asDoubleBuffer().put((double[]) b.array(), 0, n);
            case I32 -> at.asIntBuffer().put((int[]) b.array(), 0, n);
            case I64 -> at.asLongBuffer().put((long[]) b.array(), 0, n);
            case BOOL -> at.put((byte[]) b.array(), 0, n);
        }
    }

    private void get(long offset, HostBuffer b) {
        ByteBuffer at = staging.duplicate().order(ByteOrder.nativeOrder()).position((int) offset);
        int n = b.length();
        switch (b.dtype()) {
            case F32 -> at.asFloatBuffer().get((float[]) b.array(), 0, n);
            case F64 -> at.asDoubleBuffer().get((double[]) b.array(), 0, n);
            case I32 -> at.asIntBuffer().get((int[]) b.array(), 0, n);
            case I64 -> at.asLongBuffer().get((long[]) b.array(), 0, n);
            case BOOL -> at.get((byte[]) b.array(), 0, n);
        }
    }
}
