package dev.kiln.ir;

/** Element types. Values travel through the interpreter as doubles; {@link #round} maps a double to what the type can hold. */
public enum DType {
    F32("float32", 4, true),
    F64("float64", 8, true),
    I32("int32", 4, false),
    I64("int64", 8, false),
    BOOL("bool", 1, false);

    private final String torchName;
    private final int byteSize;
    private final boolean floating;

    DType(String torchName, int byteSize, boolean floating) {
        this.torchName = torchName;
        this.byteSize = byteSize;
        this.floating = floating;
    }

    /** PyTorch's name, e.g. {@code float32}. */
    public String torchName() { return torchName; }

    public int byteSize() { return byteSize; }

    public boolean isFloating() { return floating; }

    /**
     * The value this type stores for {@code v}: float rounding; for integers truncation toward zero and, for int32,
     * two's-complement wrap-around (as PyTorch's and the JVM's int arithmetic and narrowing casts do); 0/1 for bool.
     */
    public double round(double v) {
        return switch (this) {
            case F32 -> (float) v;
            case F64 -> v;
            case I32 -> (int) (long) v;
            case I64 -> (long) v;
            case BOOL -> v != 0 ? 1 : 0;
        };
    }
}
