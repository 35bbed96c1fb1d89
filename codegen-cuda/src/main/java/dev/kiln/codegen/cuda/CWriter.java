package dev.kiln.codegen.cuda;

/** Indented C source. */
final class CWriter {
    private final StringBuilder out = new StringBuilder();
    private int indent;

    CWriter line(String s) {
        out.append("    ".repeat(indent)).append(s).append('\n');
        return this;
    }

    CWriter open(String head) {
        line(head + " {");
        indent++;
        return this;
    }

    CWriter close() {
        indent--;
        return line("}");
    }

    CWriter close(String tail) {
        indent--;
        return line("}" + tail);
    }

    @Override public String toString() { return out.toString(); }
}
