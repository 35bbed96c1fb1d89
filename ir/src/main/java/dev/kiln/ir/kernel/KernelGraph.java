package dev.kiln.ir.kernel;

import dev.kiln.ir.DType;
import dev.kiln.ir.Shape;

import java.util.List;

/**
 * A scheduled program: buffers, the kernels that fill them in order, and which buffers are the program's inputs
 * and outputs. {@code slot} is the memory plan: temporaries with the same slot share storage (their lifetimes
 * don't overlap); inputs and outputs have slot -1. Every temporary is written by some kernel.
 */
public record KernelGraph(List<BufferInfo> buffers, List<Integer> inputs, List<Integer> outputs, List<Kernel> kernels)
        implements java.io.Serializable {
    public KernelGraph {
        buffers = List.copyOf(buffers);
        inputs = List.copyOf(inputs);
        outputs = List.copyOf(outputs);
        kernels = List.copyOf(kernels);
    }

    public enum Role { INPUT, OUTPUT, TEMP }

    public record BufferInfo(int id, Shape shape, DType dtype, Role role, int slot) implements java.io.Serializable {
        /** Its size in bytes. */
        public long bytes() { return (long) shape.numel() * dtype.byteSize(); }
    }

    public BufferInfo buffer(int id) { return buffers.get(id); }

    /** The graph as bytes (Java serialization of these records), for ahead-of-time artifacts. */
    public byte[] toBytes() {
        java.io.ByteArrayOutputStream bytes = new java.io.ByteArrayOutputStream();
        try (java.io.ObjectOutputStream out = new java.io.ObjectOutputStream(bytes)) {
            out.writeObject(this);
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
        return bytes.toByteArray();
    }

    /**
     * Reads a graph written by {@link #toBytes}. Only Kiln's IR classes and the JDK's collections and boxes may
     * appear: anything else is rejected before it is instantiated.
     */
    public static KernelGraph fromBytes(byte[] data) throws java.io.IOException {
        String[] rejected = new String[1];
        java.io.ObjectInputFilter filter = info -> {
            Class<?> c = info.serialClass();
            if (c == null) return java.io.ObjectInputFilter.Status.UNDECIDED;
            while (c.isArray()) c = c.getComponentType();
            String n = c.getName();
            boolean allowed = c.isPrimitive() || n.startsWith("dev.kiln.ir.") || n.startsWith("java.util.ImmutableCollections")
                    || n.equals("java.util.CollSer") || n.equals("java.lang.Integer") || n.equals("java.lang.Long")
                    || n.equals("java.lang.Number") || n.equals("java.lang.Enum") || n.equals("java.lang.Record")
                    || n.equals("java.lang.Object");
            if (!allowed) rejected[0] = n;
            return allowed ? java.io.ObjectInputFilter.Status.ALLOWED : java.io.ObjectInputFilter.Status.REJECTED;
        };
        try (java.io.ObjectInputStream in = new java.io.ObjectInputStream(new java.io.ByteArrayInputStream(data))) {
            in.setObjectInputFilter(filter);
            return (KernelGraph) in.readObject();
        } catch (ClassNotFoundException | ClassCastException | java.io.InvalidClassException e) {
            throw new java.io.IOException("not a kernel graph of this Kiln version: "
                    + (rejected[0] != null ? "it contains a " + rejected[0] + ", which a kernel graph never holds" : e.getMessage()), e);
        }
    }

    /** Each temporary slot's size in bytes: the largest buffer it holds (for backends that allocate raw memory). */
    public java.util.Map<Integer, Long> slotBytes() {
        java.util.Map<Integer, Long> bytes = new java.util.TreeMap<>();
        for (BufferInfo b : buffers) if (b.slot() >= 0) bytes.merge(b.slot(), b.bytes(), Math::max);
        return bytes;
    }

    /** The number of distinct temporary slots the memory plan uses. */
    public int slotCount() { return (int) buffers.stream().filter(b -> b.slot() >= 0).mapToInt(BufferInfo::slot).distinct().count(); }
}
