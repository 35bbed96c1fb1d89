package dev.kiln.dsl.nn;

import java.util.Set;

/** What the loss modules share. */
final class Loss {
    private static final Set<String> REDUCTIONS = Set.of("mean", "sum", "none");

    private Loss() {}

    static String checkReduction(String reduction) {
        if (!REDUCTIONS.contains(reduction)) {
            throw new IllegalArgumentException("reduction must be \"mean\", \"sum\" or \"none\", got \"" + reduction + "\"");
        }
        return reduction;
    }
}
