package dev.kiln.ir.backend;

import dev.kiln.ir.DType;
import org.junit.jupiter.api.Test;

import java.lang.management.GarbageCollectorMXBean;
import java.lang.management.ManagementFactory;
import java.util.concurrent.atomic.AtomicLong;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

class LargeBufferBudgetTest {
    private static final long MB = 1L << 20;

    /** A fake JVM: collections counts what a collector did; a requested collection counts as one. */
    private final AtomicLong collections = new AtomicLong();
    private final AtomicLong requests = new AtomicLong();
    private final LargeBufferBudget budget = new LargeBufferBudget(16 * MB, collections::get, () -> {
        requests.incrementAndGet();
        collections.incrementAndGet();
    });

    @Test void asksForOneCollectionOnceTheBudgetIsSpentWithNoneSeen() {
        for (int i = 0; i < 4; i++) budget.note(4 * MB);   // exactly the budget: not over it
        assertEquals(0, requests.get());
        budget.note(4 * MB);
        assertEquals(1, requests.get());
        for (int i = 0; i < 4; i++) budget.note(4 * MB);   // counting starts again after the collection
        assertEquals(1, requests.get());
        budget.note(4 * MB);
        assertEquals(2, requests.get());
        assertEquals(2, budget.requested());
    }

    @Test void aCollectionTheJvmMadeOnItsOwnResetsTheCount() {
        for (int round = 0; round < 10; round++) {
            for (int i = 0; i < 3; i++) budget.note(4 * MB);
            collections.incrementAndGet();
        }
        assertEquals(0, requests.get());
    }

    @Test void smallBuffersAreNotCounted() {
        for (int i = 0; i < 1000; i++) budget.note(LargeBufferBudget.LARGE_BYTES - 1);
        assertEquals(0, requests.get());
    }

    @Test void aZeroBudgetIsOff() {
        LargeBufferBudget off = new LargeBufferBudget(0, collections::get, requests::incrementAndGet);
        for (int i = 0; i < 1000; i++) off.note(64 * MB);
        assertEquals(0, requests.get());
    }

    @Test void hostBuffersAreCountedAndEveryBudgetSpentSeesACollection() {
        // 1 GB of 4 MB buffers, each dropped at once, against this JVM's budget of at most 256 MB: whether the JVM
        // collects on its own or the budget asks, no 256 MB pass without a collection.
        long before = LargeBufferBudget.requestedCollections();
        long gcs = collections();
        for (int i = 0; i < 256; i++) HostBuffer.allocate(DType.F32, 1 << 20);
        long seen = collections() - gcs;
        assertTrue(seen >= 3, "1 GB of 4 MB buffers saw " + seen + " collections ("
                + (LargeBufferBudget.requestedCollections() - before) + " requested by the budget)");
    }

    private static long collections() {
        return ManagementFactory.getGarbageCollectorMXBeans().stream().mapToLong(GarbageCollectorMXBean::getCollectionCount).sum();
    }
}
