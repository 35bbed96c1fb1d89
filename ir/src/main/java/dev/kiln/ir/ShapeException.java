package dev.kiln.ir;

/** A node could not be built: its inputs' shapes or dtypes don't fit the op. The message names the op, the shapes and the scope. */
public final class ShapeException extends IllegalArgumentException {
    private static final long serialVersionUID = 1L;

    public ShapeException(String message) { super(message); }

    /** An exception whose message ends with the current {@link Scope} (the module being run), when there is one. */
    public static ShapeException inScope(String message) {
        String scope = Scope.current();
        return new ShapeException(scope == null ? message : message + " (in " + scope + ")");
    }
}
