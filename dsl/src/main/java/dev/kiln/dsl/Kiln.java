package dev.kiln.dsl;

import dev.kiln.ir.DType;
import dev.kiln.ir.Node;
import dev.kiln.ir.Ops;
import dev.kiln.ir.Shape;
import dev.kiln.ir.ShapeException;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.function.DoubleSupplier;

/**
 * Creating tensors, PyTorch-style ({@code torch.tensor}, {@code zeros}, {@code randn}, ...), and the global
 * generator. Java: {@code import static dev.kiln.dsl.Kiln.*;} Kotlin: {@code import dev.kiln.dsl.Kiln.*}.
 */
public final class Kiln {
    private static final Generator DEFAULT_GENERATOR = new Generator(0);

    private Kiln() {}

    /** Seeds the default generator ({@code torch.manual_seed}). */
    public static Generator manualSeed(long seed) { return DEFAULT_GENERATOR.manualSeed(seed); }

    public static Generator defaultGenerator() { return DEFAULT_GENERATOR; }

    // ---- devices ------------------------------------------------------------------------------------------------

    /** The devices tensors can be put on here: {@code cpu} first, then every GPU the CUDA backend finds. */
    public static List<Device> devices() { return Devices.available(); }

    /** Whether there is a GPU to use ({@code torch.cuda.is_available()}). */
    public static boolean cudaIsAvailable() { return !Devices.cudaDevices().isEmpty(); }

    /** How many GPUs there are ({@code torch.cuda.device_count()}). */
    public static int cudaDeviceCount() { return Devices.cudaDevices().size(); }

    /**
     * Why there is no GPU to use — the CUDA backend is not on the class path, or it found no driver or device (its own
     * words) — or null when there is one.
     */
    public static String cudaUnavailableReason() { return Devices.cudaUnavailableReason(); }

    // ---- from data ----------------------------------------------------------------------------------------------

    /** A float32 vector. */
    public static Tensor tensor(float... data) {
        double[] v = new double[data.length];
        for (int i = 0; i < v.length; i++) v[i] = data[i];
        return tensor(v, new int[] {v.length}, DType.F32);
    }

    /** A float32 vector from doubles (Python floats make float32 tensors too). */
    public static Tensor tensor(double... data) { return tensor(data, new int[] {data.length}, DType.F32); }

    /** An int64 vector. */
    public static Tensor tensor(long... data) {
        double[] v = new double[data.length];
        for (int i = 0; i < v.length; i++) v[i] = data[i];
        return tensor(v, new int[] {v.length}, DType.I64);
    }

    public static Tensor tensor(boolean... data) {
        double[] v = new double[data.length];
        for (int i = 0; i < v.length; i++) v[i] = data[i] ? 1 : 0;
        return tensor(v, new int[] {v.length}, DType.BOOL);
    }

    /** A float32 matrix from rows of equal length. */
    public static Tensor tensor(float[][] rows) {
        int cols = rows.length == 0 ? 0 : rows[0].length;
        double[] v = new double[rows.length * cols];
        for (int i = 0; i < rows.length; i++) {
            if (rows[i].length != cols) throw new IllegalArgumentException("row " + i + " has " + rows[i].length + " values, expected " + cols);
            for (int j = 0; j < cols; j++) v[i * cols + j] = rows[i][j];
        }
        return tensor(v, new int[] {rows.length, cols}, DType.F32);
    }

    public static Tensor tensor(double[][] rows) {
        float[][] f = new float[rows.length][];
        for (int i = 0; i < rows.length; i++) {
            f[i] = new float[rows[i].length];
            for (int j = 0; j < rows[i].length; j++) f[i][j] = (float) rows[i][j];
        }
        return tensor(f);
    }

    /** A tensor of {@code shape} and {@code dtype} holding {@code values} in row-major order. */
    public static Tensor tensor(double[] values, int[] shape, DType dtype) { return tensor(values, shape, dtype, Device.CPU); }

    /** The same on {@code device} ({@code torch.tensor(data, dtype=..., device=...)}). */
    public static Tensor tensor(double[] values, int[] shape, DType dtype, Device device) {
        Shape s = Shape.of(shape);
        if (s.numel() != values.length) {
            throw new IllegalArgumentException(values.length + " values do not fill shape " + s + " (" + s.numel() + " elements)");
        }
        return Tensor.constant(values, s, dtype, Devices.resolve(device));
    }

    /**
     * A CPU tensor of {@code shape} over {@code buffer}'s values in row-major order, taken over without a copy: don't
     * change the buffer afterwards (a data loader's batches: gathered once, in their type).
     */
    public static Tensor tensor(dev.kiln.ir.backend.HostBuffer buffer, int... shape) {
        Shape s = Shape.of(shape);
        if (s.numel() != buffer.length()) {
            throw new IllegalArgumentException(buffer.length() + " values do not fill shape " + s + " (" + s.numel() + " elements)");
        }
        return Tensor.constant(buffer, s);
    }

    /** A 0-d tensor. */
    public static Tensor scalarTensor(double value, DType dtype) { return Tensor.constant(new double[] {value}, Shape.scalar(), dtype); }

    // ---- filled -------------------------------------------------------------------------------------------------

    public static Tensor zeros(int... shape) { return full(shape, 0, DType.F32); }

    public static Tensor zeros(DType dtype, int... shape) { return full(shape, 0, dtype); }

    /** Float32 zeros on {@code device} ({@code torch.zeros(2, 3, device=device)}). */
    public static Tensor zeros(Device device, int... shape) { return full(shape, 0, DType.F32, device); }

    public static Tensor ones(int... shape) { return full(shape, 1, DType.F32); }

    public static Tensor ones(DType dtype, int... shape) { return full(shape, 1, dtype); }

    public static Tensor ones(Device device, int... shape) { return full(shape, 1, DType.F32, device); }

    public static Tensor full(int[] shape, double value) { return full(shape, value, DType.F32); }

    public static Tensor full(int[] shape, double value, DType dtype) { return filled(shape, dtype, Device.CPU, () -> value); }

    public static Tensor full(int[] shape, double value, DType dtype, Device device) {
        return filled(shape, dtype, Devices.resolve(device), () -> value);
    }

    /** Zeros of {@code t}'s shape and dtype, on its device. */
    public static Tensor zerosLike(Tensor t) { return filled(t.shape().toArray(), t.dtype(), t.device(), () -> 0); }

    public static Tensor onesLike(Tensor t) { return filled(t.shape().toArray(), t.dtype(), t.device(), () -> 1); }

    // ---- random -------------------------------------------------------------------------------------------------

    /** Standard normal float32 values from the default generator. */
    public static Tensor randn(int... shape) { return randn(DEFAULT_GENERATOR, shape); }

    public static Tensor randn(Generator g, int... shape) { return filled(shape, DType.F32, Device.CPU, g::nextNormal); }

    /** Standard normal float32 values on {@code device} ({@code torch.randn(2, 3, device=device)}). */
    public static Tensor randn(Device device, int... shape) { return filled(shape, DType.F32, Devices.resolve(device), DEFAULT_GENERATOR::nextNormal); }

    /** Uniform [0, 1) float32 values from the default generator. */
    public static Tensor rand(int... shape) { return rand(DEFAULT_GENERATOR, shape); }

    public static Tensor rand(Generator g, int... shape) { return filled(shape, DType.F32, Device.CPU, g::nextUniform); }

    public static Tensor rand(Device device, int... shape) { return filled(shape, DType.F32, Devices.resolve(device), DEFAULT_GENERATOR::nextUniform); }

    /** Uniform int64 values in [low, high). */
    public static Tensor randint(long low, long high, int... shape) {
        return filled(shape, DType.I64, Device.CPU, () -> DEFAULT_GENERATOR.nextLong(low, high));
    }

    /** Standard normal values of {@code t}'s shape, on its device. */
    public static Tensor randnLike(Tensor t) { return filled(t.shape().toArray(), DType.F32, t.device(), DEFAULT_GENERATOR::nextNormal); }

    // ---- ranges -------------------------------------------------------------------------------------------------

    /** 0, 1, ..., end-1 as int64. */
    public static Tensor arange(long end) { return arange(0, end); }

    public static Tensor arange(long start, long end) {
        int n = (int) Math.max(0, end - start);
        double[] v = new double[n];
        for (int i = 0; i < n; i++) v[i] = start + i;
        return tensor(v, new int[] {n}, DType.I64);
    }

    /** start, start+step, ... below end, as float32. */
    public static Tensor arange(double start, double end, double step) {
        int n = (int) Math.max(0, Math.ceil((end - start) / step));
        double[] v = new double[n];
        for (int i = 0; i < n; i++) v[i] = start + i * step;
        return tensor(v, new int[] {n}, DType.F32);
    }

    /** {@code steps} evenly spaced float32 values from start to end inclusive. */
    public static Tensor linspace(double start, double end, int steps) {
        double[] v = new double[steps];
        if (steps < 0) throw new IllegalArgumentException("number of steps must be non-negative");
        if (steps == 1) return tensor(new double[] {start}, new int[] {1}, DType.F32);
        double step = steps > 1 ? (end - start) / (steps - 1) : 0;
        // PyTorch fills the second half backwards from the end, so the last value is exactly `end`
        for (int i = 0; i < steps; i++) v[i] = i < steps / 2 ? start + i * step : end - (steps - 1 - i) * step;
        return tensor(v, new int[] {steps}, DType.F32);
    }

    // ---- combining ----------------------------------------------------------------------------------------------

    /** Concatenation along {@code dim}. */
    public static Tensor cat(List<Tensor> tensors, int dim) {
        if (tensors.isEmpty()) throw new IllegalArgumentException("cat(): expected a non-empty list of Tensors");
        Tensor first = tensors.get(0);
        int axis = first.axis(dim);
        int total = 0;
        for (Tensor t : tensors) {
            if (t.dim() != first.dim()) throw new IllegalArgumentException("cat(): tensors must have the same number of dimensions: " + first.shape() + " vs " + t.shape());
            total += t.size(axis);
        }
        Node sum = null;
        int offset = 0;
        for (Tensor t : tensors) {
            List<Integer> before = new ArrayList<>(Collections.nCopies(t.dim(), 0));
            List<Integer> after = new ArrayList<>(before);
            before.set(axis, offset);
            after.set(axis, total - offset - t.size(axis));
            Node placed = Ops.pad(Ops.cast(t.node(), first.dtype()), before, after, 0);
            sum = sum == null ? placed : Ops.add(sum, placed);
            offset += t.size(axis);
        }
        return Tensor.derive(sum, "CatBackward0", tensors.toArray(new Tensor[0]));
    }

    /** Joins tensors of equal shape along a new dimension {@code dim}. */
    public static Tensor stack(List<Tensor> tensors, int dim) {
        if (tensors.isEmpty()) throw new IllegalArgumentException("stack expects a non-empty TensorList");
        for (int i = 1; i < tensors.size(); i++) {
            if (!tensors.get(i).shape().equals(tensors.get(0).shape())) {
                throw ShapeException.inScope("stack expects each tensor to be equal size, but got "
                        + java.util.Arrays.toString(tensors.get(0).shape().toArray()) + " at entry 0 and "
                        + java.util.Arrays.toString(tensors.get(i).shape().toArray()) + " at entry " + i);
            }
        }
        return F.composite("StackBackward0", () -> cat(tensors.stream().map(t -> t.unsqueeze(dim)).toList(), dim),
                tensors.toArray(new Tensor[0]));
    }

    /** {@code cond ? a : b}, elementwise. */
    public static Tensor where(Tensor cond, Tensor a, Tensor b) { return a.where(cond, b); }

    // ---- autograd -----------------------------------------------------------------------------------------------

    /**
     * Computes the values of all {@code tensors} together — one program for the lot, sharing common work — so
     * reading them afterwards costs nothing.
     */
    public static void evaluate(List<Tensor> tensors) {
        Realizer.buffersOf(tensors);
    }

    /** Runs {@code body} without recording gradients ({@code with torch.no_grad():}). */
    public static void noGrad(Runnable body) { Autograd.noGrad(body); }

    /** A new tensor on {@code device} (already resolved, or an existing tensor's) with values drawn in order. */
    private static Tensor filled(int[] shape, DType dtype, Device device, DoubleSupplier value) {
        Shape s = Shape.of(shape);
        double[] v = new double[s.numel()];
        for (int i = 0; i < v.length; i++) v[i] = value.getAsDouble();
        return Tensor.constant(v, s, dtype, device);
    }

    // ---- checkpoints --------------------------------------------------------------------------------------------

    /**
     * Saves a Tensor, a List of tensors, a Map of tensors, a module's {@code stateDict()}, an optimizer's
     * {@code stateDict()} or a whole model to {@code file} ({@code torch.save}): one safetensors file with PyTorch's
     * names and layouts, written atomically. See {@link Checkpoint}.
     */
    public static void save(Object obj, java.nio.file.Path file) throws java.io.IOException { Checkpoint.save(obj, file); }

    /** Loads what {@link #save} stored, as the same kind of object ({@code torch.load}). See {@link Checkpoint#load}. */
    public static Object load(java.nio.file.Path file) throws java.io.IOException { return Checkpoint.load(file); }
}
