package dev.kiln.dsl.nn;

import dev.kiln.dsl.Tensor;

import java.util.Map;

/**
 * Modules run one after another ({@code nn.Sequential}): positional (children named "0", "1", ...), from an ordered
 * map of names, or built up with {@link #add}/{@link #addModule}. Kotlin also has {@code sequential { +Linear(4, 8) }}.
 */
public class Sequential extends Module {
    public Sequential(Module... modules) {
        for (Module m : modules) add(m);
    }

    /** Children named by the map's keys, in its iteration order (pass a LinkedHashMap, like an OrderedDict). */
    public Sequential(Map<String, ? extends Module> modules) {
        modules.forEach(this::addModule);
    }

    /** Appends a module named after its position. */
    public Sequential add(Module m) {
        addModule(Integer.toString(childEntries().size()), m);
        return this;
    }

    public int size() { return childEntries().size(); }

    @Override public Tensor forward(Tensor input) {
        Tensor x = input;
        for (Module m : childEntries().values()) x = m.invoke(x);
        return x;
    }
}
