package dev.kiln.dsl;

import dev.kiln.dsl.nn.Linear;
import dev.kiln.dsl.nn.ReLU;
import dev.kiln.dsl.nn.Sequential;
import org.junit.jupiter.api.Test;

import java.lang.ref.WeakReference;
import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;

/**
 * A value lives as long as its node and no longer: repeated no-grad inference keeps neither its inputs nor its layers'
 * results, even while the caller holds the outputs (values used to sit in a weak map whose lazy definitions kept the
 * inputs of every pass alive).
 */
class ValueLifetimeTest {
    private final Sequential net = new Sequential(new Linear(8, 16), new ReLU(), new Linear(16, 16), new ReLU(), new Linear(16, 4));

    @Test void noGradPassesKeepNoInputAlive() {
        List<WeakReference<Object>> inputs = new ArrayList<>();
        for (int i = 0; i < 3; i++) inputs.add(passDroppingEverything());
        assertEquals(0, aliveAfterCollecting(inputs), "input buffers of finished no-grad passes still reachable");
    }

    @Test void aHeldOutputKeepsItsValueButNotItsInput() {
        List<Tensor> outputs = new ArrayList<>();
        List<double[]> read = new ArrayList<>();
        List<WeakReference<Object>> inputs = new ArrayList<>();
        for (int i = 0; i < 3; i++) {
            Tensor x = Kiln.randn(2, 8);
            inputs.add(new WeakReference<>(storage(x)));
            Tensor out;
            try (var ignored = Autograd.noGrad()) {
                out = net.invoke(x);
            }
            read.add(out.toDoubleArray());
            outputs.add(out);
        }
        assertEquals(0, aliveAfterCollecting(inputs), "a realized no-grad output kept its input alive");
        for (int i = 0; i < outputs.size(); i++) assertArrayEquals(read.get(i), outputs.get(i).toDoubleArray());
    }

    private WeakReference<Object> passDroppingEverything() {
        Tensor x = Kiln.randn(2, 8);
        WeakReference<Object> input = new WeakReference<>(storage(x));
        Autograd.noGrad(() -> net.invoke(x).toDoubleArray());
        return input;
    }

    private static Object storage(Tensor t) {
        var buffer = Realizer.existing(t.node());
        assertNotNull(buffer, "randn has a value");
        return buffer.array();
    }

    /** How many referents survive up to ten collections (one is enough; more allow for a concurrent System.gc()). */
    private static long aliveAfterCollecting(List<WeakReference<Object>> refs) {
        for (int i = 0; i < 10 && refs.stream().anyMatch(r -> r.get() != null); i++) {
            System.gc();
            try {
                Thread.sleep(20);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        return refs.stream().filter(r -> r.get() != null).count();
    }
}
