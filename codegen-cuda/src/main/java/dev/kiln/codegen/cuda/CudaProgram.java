package dev.kiln.codegen.cuda;

import dev.kiln.ir.backend.HostBuffer;
import dev.kiln.ir.backend.Program;
import dev.kiln.ir.kernel.KernelGraph;
import jcuda.Pointer;
import jcuda.driver.CUdeviceptr;
import jcuda.driver.CUfunction;
import jcuda.driver.CUgraph;
import jcuda.driver.CUgraphExec;
import jcuda.driver.CUmodule;
import jcuda.driver.CUstream;
import jcuda.driver.CUstreamCaptureMode;
import jcuda.driver.JCudaDriver;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * A kernel graph on the GPU: one PTX module, device buffers allocated once from the memory plan (temporaries share
 * their slot's allocation) beside the rendered source's scratch buffers, one stream. Inputs are copied to the device
 * and outputs back at the program's edges only, one transfer each way ({@link EdgeCopies}). The first run launches
 * kernel by kernel; then the whole launch sequence is captured as a CUDA graph and every later run replays it with
 * one call. Device state is created on first run, so a program can be compiled
 * (and saved) on a machine without a GPU.
 */
final class CudaProgram implements Program {
    private final KernelGraph graph;
    private final CudaSource source;
    private final byte[] ptx;
    private final CudaProfile profile;
    private Device device;

    /** What exists only where a GPU does. */
    private record Device(CUmodule module, List<CUfunction> functions, List<Pointer> params, CUdeviceptr[] buffers, EdgeCopies edges,
                          CUstream stream, CUgraphExec[] replay) {}

    CudaProgram(KernelGraph graph, CudaSource source, byte[] ptx) {
        this.graph = graph;
        this.source = source;
        this.ptx = ptx;
        this.profile = CudaProfile.forProgram(graph);
    }

    @Override public KernelGraph graph() { return graph; }

    /** The PTX, then the fingerprint of the CUDA C it was compiled from ({@link CudaBackend#load} checks it). */
    @Override public List<byte[]> code() {
        return List.of(ptx, CudaBackend.fingerprint(source).getBytes(java.nio.charset.StandardCharsets.UTF_8));
    }

    CudaSource source() { return source; }

    @Override public synchronized List<HostBuffer> run(List<HostBuffer> inputs) {
        HostBuffer[] outputs = new HostBuffer[graph.outputs().size()];
        for (int i = 0; i < outputs.length; i++) {
            int id = graph.outputs().get(i);
            int asInput = graph.inputs().indexOf(id);
            KernelGraph.BufferInfo b = graph.buffer(id);
            outputs[i] = asInput >= 0 ? inputs.get(asInput) : HostBuffer.allocate(b.dtype(), b.shape().numel());
        }
        execute(inputs.toArray(HostBuffer[]::new), outputs);
        return Arrays.asList(outputs);
    }

    @Override public synchronized void runInto(HostBuffer[] inputs, HostBuffer[] outputs) { execute(inputs, outputs); }

    private void execute(HostBuffer[] inputs, HostBuffer[] outputs) {
        if (inputs.length != graph.inputs().size()) throw new IllegalArgumentException(inputs.length + " inputs for a program that takes " + graph.inputs().size());
        if (outputs.length != graph.outputs().size()) throw new IllegalArgumentException(outputs.length + " outputs for a program that has " + graph.outputs().size());
        CudaDriver.enter();
        Device d = device();
        for (int i = 0; i < inputs.length; i++) check(inputs[i], graph.inputs().get(i), "input " + i);
        for (int i = 0; i < outputs.length; i++) check(outputs[i], graph.outputs().get(i), "output " + i);
        long t0 = System.nanoTime();
        d.edges().copyIn(inputs, d.stream());
        if (profile != null) {
            JCudaDriver.cuStreamSynchronize(d.stream());
            profile.copiedIn(System.nanoTime() - t0);
            profile.launchTimed(d.stream(), source.launches(), i -> launch(d, i));
        } else if (d.replay()[0] == null) {
            launchAll(d);                                     // first run: plain launches, errors point at a kernel
            JCudaDriver.cuStreamSynchronize(d.stream());
            d.replay()[0] = capture(d);
        } else {
            JCudaDriver.cuGraphLaunch(d.replay()[0], d.stream());
        }
        long t1 = System.nanoTime();
        d.edges().copyOut(outputs, d.stream());
        if (profile != null) profile.copiedOut(System.nanoTime() - t1);
    }

    private void check(HostBuffer b, int id, String role) {
        KernelGraph.BufferInfo info = graph.buffer(id);
        if (b.dtype() != info.dtype() || b.length() != info.shape().numel()) {
            throw new IllegalArgumentException(role + " is " + b.dtype().torchName() + "[" + b.length() + "], the program expects "
                    + info.dtype().torchName() + info.shape());
        }
    }

    private void launchAll(Device d) {
        for (int i = 0; i < source.launches().size(); i++) launch(d, i);
    }

    private void launch(Device d, int i) {
        Launch l = source.launches().get(i);
        if (l.empty()) return;
        JCudaDriver.cuLaunchKernel(d.functions().get(i), l.gridX(), l.gridY(), l.gridZ(), l.block(), 1, 1, 0, d.stream(), d.params().get(i), null);
    }

    private CUgraphExec capture(Device d) {
        CUgraph captured = new CUgraph();
        JCudaDriver.cuStreamBeginCapture(d.stream(), CUstreamCaptureMode.CU_STREAM_CAPTURE_MODE_THREAD_LOCAL);
        launchAll(d);
        JCudaDriver.cuStreamEndCapture(d.stream(), captured);
        CUgraphExec exec = new CUgraphExec();
        JCudaDriver.cuGraphInstantiate(exec, captured, 0);
        return exec;
    }

    private Device device() {
        if (device != null) return device;
        CUmodule module = new CUmodule();
        byte[] terminated = Arrays.copyOf(ptx, ptx.length + 1);
        JCudaDriver.cuModuleLoadData(module, terminated);
        EdgeCopies edges = new EdgeCopies(graph);
        edges.allocate();
        CUdeviceptr[] buffers = new CUdeviceptr[graph.buffers().size()];
        Map<Integer, CUdeviceptr> slots = new HashMap<>();
        Map<Integer, Long> slotBytes = graph.slotBytes();
        for (KernelGraph.BufferInfo b : graph.buffers()) {
            if (edges.holds(b.id())) {
                buffers[b.id()] = edges.pointer(b.id());
            } else if (b.slot() >= 0) {
                buffers[b.id()] = slots.computeIfAbsent(b.slot(), s -> allocate(slotBytes.get(s)));
            } else {
                buffers[b.id()] = allocate(bytes(b.id()));
            }
        }
        CUdeviceptr[] scratch = new CUdeviceptr[source.scratchBytes().size()];
        for (int i = 0; i < scratch.length; i++) scratch[i] = allocate(source.scratchBytes().get(i));
        List<CUfunction> functions = new ArrayList<>();
        List<Pointer> params = new ArrayList<>();
        for (Launch l : source.launches()) {
            CUfunction f = new CUfunction();
            JCudaDriver.cuModuleGetFunction(f, module, l.name());
            functions.add(f);
            Pointer[] args = new Pointer[l.buffers().size()];
            for (int a = 0; a < args.length; a++) {
                int entry = l.buffers().get(a);
                args[a] = Pointer.to(entry >= 0 ? buffers[entry] : scratch[Launch.scratchIndex(entry)]);
            }
            params.add(Pointer.to(args));
        }
        CUstream stream = new CUstream();
        JCudaDriver.cuStreamCreate(stream, 0);
        device = new Device(module, functions, params, buffers, edges, stream, new CUgraphExec[1]);
        return device;
    }

    private static CUdeviceptr allocate(long bytes) {
        CUdeviceptr p = new CUdeviceptr();
        JCudaDriver.cuMemAlloc(p, Math.max(bytes, 1));
        return p;
    }

    private long bytes(int id) { return graph.buffer(id).bytes(); }
}
