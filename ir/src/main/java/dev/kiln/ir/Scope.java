package dev.kiln.ir;

import java.util.ArrayDeque;
import java.util.Deque;
import java.util.function.Supplier;

/**
 * Where in the user's model a node is being built (e.g. {@code fc1 (Linear 400→120)}), so that a shape error
 * can say which module it came from. The DSL enters a scope around each module's forward.
 */
public final class Scope {
    private static final ThreadLocal<Deque<String>> STACK = ThreadLocal.withInitial(ArrayDeque::new);

    private Scope() {}

    public static <T> T within(String description, Supplier<T> body) {
        Deque<String> stack = STACK.get();
        stack.push(description);
        try {
            return body.get();
        } finally {
            stack.pop();
        }
    }

    /** The innermost scope's description, or null outside any. */
    public static String current() { return STACK.get().peek(); }
}
