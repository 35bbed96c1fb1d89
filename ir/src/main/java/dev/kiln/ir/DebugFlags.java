package dev.kiln.ir;

import java.util.Set;

/**
 * Which debug output is on: {@code -Dkiln.debug=...} or {@code KILN_DEBUG=...}, a comma-separated list of {@code ir},
 * {@code kernels}, {@code bytecode}, {@code profile} or {@code all}. Read once; every layer asks here.
 */
public final class DebugFlags {
    private static final Set<String> TOPICS =
            Set.of(System.getProperty("kiln.debug", System.getenv().getOrDefault("KILN_DEBUG", "")).toLowerCase().split("\\s*,\\s*"));

    private DebugFlags() {}

    public static boolean on(String topic) { return TOPICS.contains(topic) || TOPICS.contains("all"); }
}
