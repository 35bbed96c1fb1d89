package dev.kiln.codegen.jvm;

import org.objectweb.asm.ClassWriter;
import org.objectweb.asm.Opcodes;
import org.objectweb.asm.Type;
import org.objectweb.asm.commons.GeneratorAdapter;
import org.objectweb.asm.commons.Method;

import java.util.ArrayList;
import java.util.List;

/**
 * int[] constants of a generated class: static final fields its {@code <clinit>} fills, so a kernel that indexes a
 * table (a box sum's per-term shifts and boxes) allocates nothing per call.
 */
final class IntTables {
    private static final Type INTS = Type.getType(int[].class);

    private final ClassWriter cw;
    private final String owner;
    private final List<int[]> tables = new ArrayList<>();

    IntTables(ClassWriter cw, String owner) {
        this.cw = cw;
        this.owner = owner;
    }

    /** A new local of {@code g} holding a table with these values. */
    int local(GeneratorAdapter g, int[] values) {
        String field = "T" + tables.size();
        cw.visitField(Opcodes.ACC_PRIVATE | Opcodes.ACC_STATIC | Opcodes.ACC_FINAL, field, INTS.getDescriptor(), null, null).visitEnd();
        tables.add(values.clone());
        g.getStatic(Type.getObjectType(owner), field, INTS);
        int local = g.newLocal(INTS);
        g.storeLocal(local);
        return local;
    }

    /** The class initializer filling the tables (none when no table was asked for). */
    void finish() {
        if (tables.isEmpty()) return;
        GeneratorAdapter g = new GeneratorAdapter(Opcodes.ACC_STATIC, Method.getMethod("void <clinit>()"), null, null, cw);
        g.visitCode();
        for (int t = 0; t < tables.size(); t++) {
            int[] values = tables.get(t);
            g.push(values.length);
            g.newArray(Type.INT_TYPE);
            for (int i = 0; i < values.length; i++) {
                g.dup();
                g.push(i);
                g.push(values[i]);
                g.arrayStore(Type.INT_TYPE);
            }
            g.putStatic(Type.getObjectType(owner), "T" + t, INTS);
        }
        g.returnValue();
        g.endMethod();
    }
}
