package dev.kiln.ir.backend;

import java.lang.management.GarbageCollectorMXBean;
import java.lang.management.ManagementFactory;
import java.util.List;
import java.util.function.LongSupplier;

/**
 * Asks for a garbage collection when many large buffers have been allocated and the JVM has collected nothing since.
 *
 * <p>Why: an eager result of 2 MB or more is a humongous object under G1's default 4 MB regions. G1 places such an
 * object in free regions, and when none are free it commits new heap without collecting, unless its occupancy check
 * says a marking cycle is due. That check answers no for as long as G1 waits for a young pause that only a full eden
 * brings (after a marking cycle that found old regions worth collecting). A loop whose garbage is mostly large results,
 * such as {@code C = A @ B} repeated, never fills eden, so each result then lands in memory the process has never
 * touched, and pays a page fault per 4 KB page (~9 µs each on a VM: 9 ms per 1024² float result, whose product takes
 * 20 ms). The JVM tells no one that an eager result died until it collects, so Kiln can't reuse the buffers itself.
 *
 * <p>So, like the JDK's direct buffers when they reach their limit, this asks for the collection that is missing:
 * after {@link #budgetBytes} of large buffers with no collection seen, it calls {@link System#gc()} once. Under G1
 * with {@code -XX:+ExplicitGCInvokesConcurrent} (which {@code ./kiln} passes) that is a young pause which frees the dead
 * large buffers and ends the wait; without the flag it is a full collection. A program whose garbage fills eden is
 * collected by G1 on its own, which resets the count, so it never gets here. {@code -Dkiln.largeBufferBudgetMB=0}
 * turns this off.
 */
public final class LargeBufferBudget {
    /** Buffers below this many bytes are not counted: they stay below G1's humongous size for its 2 MB and larger regions. */
    static final long LARGE_BYTES = 1L << 20;

    private static final List<GarbageCollectorMXBean> COLLECTORS = ManagementFactory.getGarbageCollectorMXBeans();

    private static final LargeBufferBudget JVM = new LargeBufferBudget(defaultBudget(), LargeBufferBudget::collections, System::gc);

    private final long budgetBytes;
    private final LongSupplier collectionCount;
    private final Runnable collect;
    private long lastCount = -1;
    private long sinceCollection;
    private long requested;

    /**
     * @param budgetBytes     large-buffer bytes allowed with no collection seen; 0 disables
     * @param collectionCount the number of collections so far (any monotonic count)
     * @param collect         requests a collection
     */
    LargeBufferBudget(long budgetBytes, LongSupplier collectionCount, Runnable collect) {
        this.budgetBytes = budgetBytes;
        this.collectionCount = collectionCount;
        this.collect = collect;
    }

    /**
     * Counts a buffer of {@code bytes} the process is about to allocate ({@link HostBuffer#allocate} calls this for
     * buffers of {@link #LARGE_BYTES} or more, so smaller programs never load the management classes).
     */
    static void allocating(long bytes) {
        JVM.note(bytes);
    }

    /** The number of collections this JVM's budget has asked for (tests report it). */
    public static long requestedCollections() { return JVM.requested(); }

    synchronized void note(long bytes) {
        if (budgetBytes <= 0 || bytes < LARGE_BYTES) return;
        long count = collectionCount.getAsLong();
        if (count != lastCount) {
            lastCount = count;
            sinceCollection = 0;
        }
        sinceCollection += bytes;
        if (sinceCollection > budgetBytes) {
            sinceCollection = 0;
            requested++;
            collect.run();
        }
    }

    synchronized long requested() {
        return requested;
    }

    /**
     * 256 MB, or an eighth of the maximum heap when that is smaller: G1 collects on its own well before that in every
     * program that fills eden, and 256 MB of fresh pages cost ~0.6 s here, against ~1 ms for a young pause.
     */
    private static long defaultBudget() {
        String mb = System.getProperty("kiln.largeBufferBudgetMB");
        if (mb != null) {
            try {
                long v = Long.parseLong(mb.trim());
                if (v < 0) throw new NumberFormatException();
                return v << 20;
            } catch (NumberFormatException e) {
                throw new IllegalArgumentException("kiln.largeBufferBudgetMB must be a whole number of megabytes >= 0 (0 turns the budget off), got '" + mb + "'");
            }
        }
        return Math.min(256L << 20, Runtime.getRuntime().maxMemory() / 8);
    }

    private static long collections() {
        long n = 0;
        for (GarbageCollectorMXBean gc : COLLECTORS) n += Math.max(0, gc.getCollectionCount());
        return n;
    }
}
