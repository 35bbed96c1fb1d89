package dev.kiln.codegen.cuda;

import dev.kiln.ir.DType;
import dev.kiln.ir.backend.HostBuffer;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/** Host buffers as the little-endian bytes a CUDA device (or the host shim) holds, and back. */
final class BufferBytes {
    private BufferBytes() {}

    static byte[] toBytes(HostBuffer b) {
        ByteBuffer out = ByteBuffer.allocate(b.length() * b.dtype().byteSize()).order(ByteOrder.LITTLE_ENDIAN);
        switch (b.dtype()) {
            case F32 -> out.asFloatBuffer().put((float[]) b.array(), 0, b.length());
            case F64 -> out.asDoubleBuffer().put((double[]) b.array(), 0, b.length());
            case I32 -> out.asIntBuffer().put((int[]) b.array(), 0, b.length());
            case I64 -> out.asLongBuffer().put((long[]) b.array(), 0, b.length());
            case BOOL -> out.put((byte[]) b.array(), 0, b.length());
        }
        return out.array();
    }

    /** Reads {@code length} elements of {@code dtype} from {@code in} at its position, advancing it. */
    static HostBuffer read(ByteBuffer in, DType dtype, int length) {
        HostBuffer b = HostBuffer.allocate(dtype, length);
        ByteBuffer slice = in.slice().order(ByteOrder.LITTLE_ENDIAN);
        switch (dtype) {
            case F32 -> slice.asFloatBuffer().get((float[]) b.array());
            case F64 -> slice.asDoubleBuffer().get((double[]) b.array());
            case I32 -> slice.asIntBuffer().get((int[]) b.array());
            case I64 -> slice.asLongBuffer().get((long[]) b.array());
            case BOOL -> slice.get((byte[]) b.array());
        }
        in.position(in.position() + length * dtype.byteSize());
        return b;
    }
}
