package dev.kiln.codegen.jvm;

import org.objectweb.asm.ClassReader;
import org.objectweb.asm.util.Textifier;
import org.objectweb.asm.util.TraceClassVisitor;

import java.io.PrintWriter;
import java.io.StringWriter;

/**
 * Which {@link VectorCode} operations a generated class uses, read from its bytecode's text: {@link VectorCode} emits
 * the Vector API calls inline, so each operation is recognized by what only its code contains.
 */
final class VectorCodeText {
    private VectorCodeText() {}

    static boolean uses(byte[] code, String op) {
        String text = text(code);
        return switch (op) {
            case "loadRepeated2" -> text.contains("VectorOps.TWICE");
            case "loadRepeated4" -> text.contains("VectorOps.FOUR_TIMES");
            case "loadRepeated8" -> text.matches("(?s).*FALOAD\\s+INVOKESTATIC jdk/incubator/vector/FloatVector.broadcast .*");
            case "loadEvens" -> text.contains("VectorOps.EVENS");
            case "loadLanes" -> text.contains("reinterpretAsInts");
            case "storeFirst" -> text.contains("VectorMask.fromLong");
            case "stepsDown" -> text.matches("(?s).*IINC \\d+ -" + VectorLoop.LANES + "\n.*");
            default -> throw new IllegalArgumentException("no marker for " + op);
        };
    }

    /**
     * How many times the class's code emits {@code op}: {@code addDoubles} (a float-to-double lane conversion) or
     * {@code loadLanes}.
     */
    static int count(byte[] code, String op) {
        String marker = switch (op) {
            case "addDoubles" -> "VectorOperators\\.F2D";
            case "loadLanes" -> "reinterpretAsInts";
            default -> throw new IllegalArgumentException("no count for " + op);
        };
        return text(code).split(marker, -1).length - 1;
    }

    /** Whether the class computes anything in vectors (every vector operation calls the Vector API). */
    static boolean usesVectors(byte[] code) {
        return text(code).contains("jdk/incubator/vector/FloatVector");
    }

    /** The classes whose methods the generated class invokes. */
    static java.util.Set<String> invokedOwners(byte[] code) {
        java.util.Set<String> owners = new java.util.TreeSet<>();
        new ClassReader(code).accept(new org.objectweb.asm.ClassVisitor(org.objectweb.asm.Opcodes.ASM9) {
            @Override
            public org.objectweb.asm.MethodVisitor visitMethod(int access, String name, String descriptor, String signature, String[] exceptions) {
                return new org.objectweb.asm.MethodVisitor(org.objectweb.asm.Opcodes.ASM9) {
                    @Override
                    public void visitMethodInsn(int opcode, String owner, String method, String desc, boolean isInterface) {
                        owners.add(owner);
                    }
                };
            }
        }, 0);
        return owners;
    }

    private static String text(byte[] code) {
        StringWriter out = new StringWriter();
        new ClassReader(code).accept(new TraceClassVisitor(null, new Textifier(), new PrintWriter(out)), 0);
        return out.toString();
    }
}
