package dev.kiln.codegen.jvm.gemm;

/** Picks {@link Gemm#best()} once; loads the Vector API class only when its module is present. */
final class GemmSelect {
    private GemmSelect() {}

    static final Gemm BEST = select();

    private static Gemm select() {
        if (Boolean.getBoolean("kiln.gemm.scalar")) return ScalarGemm.INSTANCE;
        if (ModuleLayer.boot().findModule("jdk.incubator.vector").isEmpty()) return ScalarGemm.INSTANCE;
        try {
            // Reflection keeps VectorGemm (and with it jdk.incubator.vector) out of this class's
            // constant pool resolution and verification.
            Class<?> cls = Class.forName("dev.kiln.codegen.jvm.gemm.VectorGemm", true, GemmSelect.class.getClassLoader());
            var field = cls.getDeclaredField("INSTANCE");
            field.setAccessible(true);
            Object gemm = field.get(null); // null: no 256-bit float vectors on this hardware
            return gemm != null ? (Gemm) gemm : ScalarGemm.INSTANCE;
        } catch (ReflectiveOperationException | LinkageError | RuntimeException e) {
            return ScalarGemm.INSTANCE;
        }
    }
}
