package dev.kiln.ir.kernel;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * Gives every temporary buffer a storage slot by liveness: a temporary lives from the kernel that writes it to the
 * last kernel that reads it, and a slot whose temporary has died is reused by the next one of the same dtype.
 */
final class MemoryPlanner {
    private MemoryPlanner() {}

    static KernelGraph plan(List<KernelGraph.BufferInfo> infos, List<Integer> inputs, List<Integer> outputs, List<Kernel> kernels) {
        int[] lastUse = new int[infos.size()];
        java.util.Arrays.fill(lastUse, -1);
        for (int i = 0; i < kernels.size(); i++) for (int b : Kernels.reads(kernels.get(i))) lastUse[b] = i;

        int[] slot = new int[infos.size()];
        java.util.Arrays.fill(slot, -1);
        List<SlotInfo> slots = new ArrayList<>();
        Map<Integer, List<Integer>> freeAfter = new TreeMap<>();
        for (int i = 0; i < kernels.size(); i++) {
            for (int out : kernels.get(i).outputs()) {
                KernelGraph.BufferInfo info = infos.get(out);
                if (info.role() != KernelGraph.Role.TEMP) continue;
                slot[out] = pick(slots, info);
                slots.get(slot[out]).busy = true;
                freeAfter.computeIfAbsent(Math.max(lastUse[out], i), k -> new ArrayList<>()).add(slot[out]);
            }
            for (int s : freeAfter.getOrDefault(i, List.of())) slots.get(s).busy = false;
        }
        List<KernelGraph.BufferInfo> planned = new ArrayList<>();
        for (KernelGraph.BufferInfo b : infos) planned.add(new KernelGraph.BufferInfo(b.id(), b.shape(), b.dtype(), b.role(), slot[b.id()]));
        return new KernelGraph(planned, inputs, outputs, kernels);
    }

    private static final class SlotInfo {
        final dev.kiln.ir.DType dtype;
        int size;
        boolean busy;

        SlotInfo(dev.kiln.ir.DType dtype, int size) {
            this.dtype = dtype;
            this.size = size;
        }
    }

    /** A free slot of the dtype (the smallest that fits, else the largest, which grows), or a new one. */
    private static int pick(List<SlotInfo> slots, KernelGraph.BufferInfo b) {
        int best = -1;
        for (int s = 0; s < slots.size(); s++) {
            SlotInfo si = slots.get(s);
            if (si.busy || si.dtype != b.dtype()) continue;
            if (best < 0) { best = s; continue; }
            SlotInfo cur = slots.get(best);
            boolean fits = si.size >= b.shape().numel(), curFits = cur.size >= b.shape().numel();
            if (fits && (!curFits || si.size < cur.size) || !fits && !curFits && si.size > cur.size) best = s;
        }
        if (best < 0) {
            slots.add(new SlotInfo(b.dtype(), b.shape().numel()));
            return slots.size() - 1;
        }
        slots.get(best).size = Math.max(slots.get(best).size, b.shape().numel());
        return best;
    }
}
