package dev.kiln.ir.kernel;

import dev.kiln.ir.DType;
import dev.kiln.ir.Graph;
import dev.kiln.ir.Node;
import dev.kiln.ir.Op;
import dev.kiln.ir.Shape;

import java.util.ArrayList;
import java.util.Collections;
import java.util.IdentityHashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Predicate;

/**
 * Cuts a graph into kernels. A node gets a buffer when it is a program input (a leaf or an already-computed
 * value), an output, a reduction or contraction, or a non-trivial elementwise value that more than one consumer
 * reads or that is broadcast. Everything else is inlined into its consumers' expressions, with movement ops turned
 * into index arithmetic. A reduction or contraction absorbs the chain of same-shaped elementwise ops that follows
 * it (its epilogue) up to the first value with several consumers; a costly value that epilogue reads besides gets a
 * buffer of its own.
 */
public final class Scheduler {
    /** The kernel graph and, in order, the nodes whose values the program takes as inputs. */
    public record Schedule(KernelGraph graph, List<Node> inputs) {}

    /** Values this cheap (in {@link #opWork} units) are recomputed by every kernel that reads them rather than stored. */
    static final int RECOMPUTE_LIMIT = 3;

    /** The most ops one value's inlined expression may have before it gets a buffer of its own. */
    static final int INLINE_BUDGET = 160;

    private Scheduler() {}

    /** Schedules {@code outputs}; nodes for which {@code known} holds (and all leaves) are inputs. */
    public static Schedule schedule(List<Node> outputs, Predicate<Node> known) {
        Predicate<Node> isInput = n -> n.isLeaf() || known.test(n);
        List<Node> order = Graph.topologicalOrder(outputs, isInput);
        Map<Node, List<Node>> users = users(order, isInput);
        Set<Node> outputSet = identitySet(outputs);

        List<Node> inputs = new ArrayList<>();
        Set<Node> realized = identitySet(List.of());
        Map<Node, Integer> work = new IdentityHashMap<>();     // arithmetic ops in a value's inlined expression
        for (Node n : order) {
            if (isInput.test(n)) inputs.add(n);
            else if (isContractionOrReduction(n.op()) || outputSet.contains(n)) realized.add(n);
            int w = isArithmetic(n.op()) && !isInput.test(n) ? opWork(n.op()) : 0;
            if (!isInput.test(n) && !isContractionOrReduction(n.op())) {
                for (Node in : n.inputs()) w = Math.min(1000, w + work.getOrDefault(in, 0));
            }
            work.put(n, w);
        }

        // Newest first, find the kernels ("roots") each value flows into. An arithmetic value read by several kernels,
        // or broadcast, gets a buffer instead of being recomputed; movement ops stay index arithmetic (views).
        Map<Node, Set<Node>> roots = new IdentityHashMap<>();
        for (int i = order.size() - 1; i >= 0; i--) {
            Node n = order.get(i);
            if (isInput.test(n)) continue;
            Set<Node> r = identitySet(List.of());
            for (Node u : users.getOrDefault(n, List.of())) {
                if (realized.contains(u)) r.add(u);
                else r.addAll(roots.getOrDefault(u, Set.of()));
            }
            boolean shared = r.size() > 1 || broadcast(n, users);
            if (!realized.contains(n) && isArithmetic(n.op()) && shared && work.get(n) > RECOMPUTE_LIMIT) realized.add(n);
            roots.put(n, r);
        }

        // A reduction's epilogue reads other values at its outputs only: one that is costly to compute (more than
        // RECOMPUTE_LIMIT) gets a buffer of its own rather than being computed inside the reduction's store (LeNet's
        // pooling gradient g / count: g, the convolution's input-gradient fold, stays a kernel of its own form).
        for (Node n : order) {
            Node root = epilogueRoot(n, isInput, outputSet, roots, users, realized);
            if (root != null) realizeCostlyInputs(root, n, realized, work, isInput);
        }

        // Oldest first, cap how much one kernel inlines: a value whose expression would grow past the budget gets a
        // buffer (a JVM method must stay under 64 KiB, and huge expressions compile slowly anyway).
        Map<Node, Integer> cost = new IdentityHashMap<>();
        for (Node n : order) {
            if (isInput.test(n) || realized.contains(n) || n.op() instanceof Op.Constant) {
                cost.put(n, 1);
                continue;
            }
            int c = 1;
            for (Node in : n.inputs()) c = Math.min(INLINE_BUDGET + 1, c + cost.getOrDefault(in, 1));
            if (c > INLINE_BUDGET && isArithmetic(n.op())) {
                realized.add(n);
                c = 1;
            }
            cost.put(n, c);
        }

        // Epilogues: a reduction or contraction whose value flows only into one same-shaped elementwise kernel,
        // through same-shaped elementwise ops, is computed by that kernel.
        Map<Node, Node> anchorOf = new IdentityHashMap<>();
        for (Node n : order) {
            Node root = epilogueRoot(n, isInput, outputSet, roots, users, realized);
            if (root == null || anchorOf.containsKey(root)) continue;
            realized.remove(n);
            anchorOf.put(root, n);
        }

        Builder b = new Builder();
        for (Node in : inputs) b.bufferFor(in, KernelGraph.Role.INPUT);
        for (Node n : order) {
            if (!realized.contains(n)) continue;
            int out = b.bufferFor(n, outputSet.contains(n) ? KernelGraph.Role.OUTPUT : KernelGraph.Role.TEMP);
            Node anchor = anchorOf.getOrDefault(n, isContractionOrReduction(n.op()) ? n : null);
            if (anchor == null) b.addPointwise(n);
            else b.add(b.anchored(anchor, n, out));
        }
        List<Integer> outputIds = new ArrayList<>();
        for (Node o : outputs) outputIds.add(b.buffers.get(o));
        List<Integer> inputIds = new ArrayList<>();
        for (Node in : inputs) inputIds.add(b.buffers.get(in));
        return new Schedule(withoutUnusedBuffers(b.infos, inputIds, outputIds, b.kernels()), inputs);
    }

    /**
     * The planned graph without the temporaries no kernel writes (values a pointwise group computes in place for its
     * other members and doesn't store, see {@link Builder#kernels}), buffers renumbered: backends allocate every
     * buffer the graph lists.
     */
    private static KernelGraph withoutUnusedBuffers(List<KernelGraph.BufferInfo> infos, List<Integer> inputs, List<Integer> outputs,
                                                    List<Kernel> kernels) {
        Set<Integer> used = new java.util.HashSet<>(inputs);
        used.addAll(outputs);
        for (Kernel k : kernels) used.addAll(k.outputs());
        if (used.size() == infos.size()) return MemoryPlanner.plan(infos, inputs, outputs, kernels);
        int[] renumbered = new int[infos.size()];
        List<KernelGraph.BufferInfo> kept = new ArrayList<>();
        for (KernelGraph.BufferInfo info : infos) {
            renumbered[info.id()] = used.contains(info.id()) ? kept.size() : -1;
            if (used.contains(info.id())) kept.add(new KernelGraph.BufferInfo(kept.size(), info.shape(), info.dtype(), info.role(), -1));
        }
        java.util.function.IntUnaryOperator id = old -> {
            if (renumbered[old] < 0) throw new IllegalStateException("scheduler bug: b" + old + " is read but never written");
            return renumbered[old];
        };
        List<Kernel> remapped = kernels.stream().map(k -> Kernels.withBuffers(k, id)).toList();
        return MemoryPlanner.plan(kept, inputs.stream().map(id::applyAsInt).toList(), outputs.stream().map(id::applyAsInt).toList(), remapped);
    }

    /**
     * The kernel that could compute reduction or contraction {@code n} as its epilogue: the one same-shaped elementwise
     * value its result flows into, through unrealized same-shaped elementwise ops only; null when there is none.
     */
    private static Node epilogueRoot(Node n, Predicate<Node> isInput, Set<Node> outputSet, Map<Node, Set<Node>> roots,
                                     Map<Node, List<Node>> users, Set<Node> realized) {
        if (isInput.test(n) || !isContractionOrReduction(n.op()) || outputSet.contains(n)) return null;
        Set<Node> r = roots.get(n);
        if (r.size() != 1) return null;
        Node root = r.iterator().next();
        if (isContractionOrReduction(root.op()) || !root.shape().equals(n.shape())) return null;
        return onlyElementwiseBetween(n, root, users, realized) ? root : null;
    }

    /**
     * Gives a buffer to each value {@code node}'s expression would compute inline, other than through {@code anchor},
     * whose work is more than {@link #RECOMPUTE_LIMIT}; movement ops are looked through.
     */
    private static void realizeCostlyInputs(Node node, Node anchor, Set<Node> realized, Map<Node, Integer> work, Predicate<Node> isInput) {
        Set<Node> fromAnchor = identitySet(List.of()), notFromAnchor = identitySet(List.of()), seen = identitySet(List.of());
        java.util.Deque<Node> todo = new java.util.ArrayDeque<>(node.inputs());
        while (!todo.isEmpty()) {
            Node in = todo.pop();
            if (in == anchor || isInput.test(in) || realized.contains(in) || !seen.add(in)) continue;
            if (!dependsOn(in, anchor, isInput, fromAnchor, notFromAnchor) && isArithmetic(in.op()) && work.get(in) > RECOMPUTE_LIMIT) {
                realized.add(in);
            } else {
                todo.addAll(in.inputs());
            }
        }
    }

    /**
     * Whether {@code node}'s value is computed from {@code target}'s (through values that aren't program inputs); the
     * two sets remember the answers for nodes already visited (a graph's values share inputs).
     */
    private static boolean dependsOn(Node node, Node target, Predicate<Node> isInput, Set<Node> yes, Set<Node> no) {
        if (node == target || yes.contains(node)) return true;
        if (isInput.test(node) || no.contains(node)) return false;
        for (Node in : node.inputs()) {
            if (dependsOn(in, target, isInput, yes, no)) {
                yes.add(node);
                return true;
            }
        }
        no.add(node);
        return false;
    }

    /** Whether every path from {@code from} reaches {@code to} through unrealized same-shaped elementwise ops only. */
    private static boolean onlyElementwiseBetween(Node from, Node to, Map<Node, List<Node>> users, Set<Node> realized) {
        java.util.Deque<Node> todo = new java.util.ArrayDeque<>(users.getOrDefault(from, List.of()));
        Set<Node> seen = identitySet(List.of());
        while (!todo.isEmpty()) {
            Node u = todo.pop();
            if (!seen.add(u)) continue;
            if (!isElementwise(u.op()) || !u.shape().equals(from.shape())) return false;
            if (u == to) continue;
            if (realized.contains(u)) return false;
            todo.addAll(users.getOrDefault(u, List.of()));
        }
        return true;
    }

    static boolean isContractionOrReduction(Op op) {
        return op instanceof Op.Reduce || op instanceof Op.MatMul || op instanceof Op.Conv2d;
    }

    private static boolean isElementwise(Op op) {
        return op instanceof Op.Unary || op instanceof Op.Binary || op instanceof Op.Where || op instanceof Op.Cast;
    }

    /** Ops that compute values (as opposed to moving or broadcasting them, or being inputs or anchors). */
    private static boolean isArithmetic(Op op) {
        return isElementwise(op) || op instanceof Op.RandomUniform;
    }

    /** Rough cost of one evaluation: transcendental functions count as several simple ops. */
    private static int opWork(Op op) {
        if (op instanceof Op.Unary u) {
            return switch (u.fn()) {
                case EXP, LOG, TANH, SIGMOID, SQRT -> 4;
                case NEG, RECIPROCAL, ABS, SIGN, RELU -> 1;
            };
        }
        // a division costs ~10 adds of vector throughput: one broadcast to many elements is computed once and stored
        if (op instanceof Op.Binary b && (b.fn() == Op.BinaryFn.POW || b.fn() == Op.BinaryFn.DIV)) return 4;
        return 1;
    }

    /** Whether a value reaches an Expand through movement ops only, i.e. would be recomputed for every copy. */
    private static boolean broadcast(Node n, Map<Node, List<Node>> users) {
        for (Node u : users.getOrDefault(n, List.of())) {
            if (u.op() instanceof Op.Expand) return true;
            boolean movement = u.op() instanceof Op.Reshape || u.op() instanceof Op.Permute || u.op() instanceof Op.Slice
                    || u.op() instanceof Op.Pad;
            if (movement && broadcast(u, users)) return true;
        }
        return false;
    }

    private static Map<Node, List<Node>> users(List<Node> order, Predicate<Node> isInput) {
        Map<Node, List<Node>> users = new IdentityHashMap<>();
        for (Node n : order) {
            if (isInput.test(n)) continue;
            for (Node in : n.inputs()) {
                List<Node> us = users.computeIfAbsent(in, k -> new ArrayList<>());
                if (!us.contains(n)) us.add(n);
            }
        }
        return users;
    }

    private static <T> Set<T> identitySet(List<T> items) {
        Set<T> s = Collections.newSetFromMap(new IdentityHashMap<>());
        s.addAll(items);
        return s;
    }

    /** The most values one pointwise kernel computes side by side. */
    static final int MAX_STORES = 8;

    /**
     * Builds kernels, lowering nodes to expressions over loop variables. Pointwise values join a same-shaped pointwise
     * group ("horizontal fusion") when they are related to it, i.e. read one of its values or one of its inputs (an
     * optimizer's new moments and weights read the same gradient, and the weights read the moments): one pass then
     * loads the shared inputs once, and a value that a later one needs is used where it is computed instead of being
     * read back. A group runs where its last value joined; it stops taking values once any other kernel reads one of
     * its values (that kernel must run after the group), and values only join where they read its values at the very
     * element being computed.
     */
    private static final class Builder {
        final Map<Node, Integer> buffers = new IdentityHashMap<>();
        final List<KernelGraph.BufferInfo> infos = new ArrayList<>();
        private final List<Object> slots = new ArrayList<>();      // Kernel or PointwiseGroup, in execution order

        int bufferFor(Node n, KernelGraph.Role role) {
            return buffers.computeIfAbsent(n, k -> {
                infos.add(new KernelGraph.BufferInfo(infos.size(), n.shape(), n.dtype(), role, -1));
                return infos.size() - 1;
            });
        }

        /**
         * The kernels, in execution order. A group stores only the values that are outputs or that some kernel reads:
         * a value realized to bound expression size ({@link #INLINE_BUDGET}) whose only consumers joined its group is
         * computed in place for them, and storing it too would be a write that nothing reads (LeNet's convolution
         * input gradient wrote a 24-tap partial sum beside the 25-tap one).
         */
        List<Kernel> kernels() {
            List<Kernel> all = new ArrayList<>();
            Set<Integer> read = new java.util.HashSet<>();
            for (Object s : slots) {
                Kernel k = s instanceof PointwiseGroup g ? g.kernel() : (Kernel) s;
                all.add(k);
                read.addAll(Kernels.reads(k));
            }
            List<Kernel> kernels = new ArrayList<>();
            for (Kernel k : all) {
                if (!(k instanceof Kernel.Pointwise p) || p.stores().size() == 1) {
                    kernels.add(k);
                    continue;
                }
                List<Kernel.Store> stored = new ArrayList<>();
                for (Kernel.Store st : p.stores()) {
                    if (read.contains(st.output()) || infos.get(st.output()).role() == KernelGraph.Role.OUTPUT) stored.add(st);
                }
                // every group member has a consumer, so the last one at least is read or an output
                kernels.add(new Kernel.Pointwise(p.shape(), stored));
            }
            return kernels;
        }

        void add(Kernel k) {
            closeGroupsReading(Kernels.reads(k), null);
            slots.add(k);
        }

        void addPointwise(Node n) {
            Expr alone = new Lowering(buffers, null, n).lower(n, vars(n.shape(), 0));      // as a kernel of its own
            Set<Integer> reads = Kernels.reads(alone);
            PointwiseGroup target = null;
            for (int i = slots.size() - 1; i >= 0 && target == null; i--) {
                if (slots.get(i) instanceof PointwiseGroup g && g.open && g.accepts(n, alone, reads)) target = g;
            }
            closeGroupsReading(reads, target);
            if (target == null) target = new PointwiseGroup(n.shape());
            else slots.remove(target);
            target.add(n, reads);
            slots.add(target);
        }

        private void closeGroupsReading(Set<Integer> reads, PointwiseGroup except) {
            for (Object s : slots) {
                if (s instanceof PointwiseGroup g && g != except && g.open && g.members.stream().anyMatch(m -> reads.contains(buffers.get(m)))) {
                    g.open = false;
                }
            }
        }

        private final class PointwiseGroup {
            final Shape shape;
            final Ix[] vars;
            final List<Node> members = new ArrayList<>();
            final Set<Integer> reads = new java.util.HashSet<>();
            boolean open = true;

            PointwiseGroup(Shape shape) {
                this.shape = shape;
                this.vars = vars(shape, 0);
            }

            /** Whether {@code n} (computed alone: {@code alone}, reading {@code nReads}) may join. */
            boolean accepts(Node n, Expr alone, Set<Integer> nReads) {
                if (!n.shape().equals(shape) || members.size() >= MAX_STORES) return false;
                boolean related = false;
                for (Node m : members) related |= nReads.contains(buffers.get(m));
                for (int id : nReads) related |= reads.contains(id);
                return related && readsMembersInPlace(alone);
            }

            /** Whether an expression reads this group's values only at the element it computes. */
            private boolean readsMembersInPlace(Expr alone) {
                Set<Integer> memberBuffers = new java.util.HashSet<>();
                for (Node m : members) memberBuffers.add(buffers.get(m));
                Ix here = offset(vars, shape);
                for (Expr.Load l : Kernels.loads(alone)) if (memberBuffers.contains(l.buffer()) && !l.index().equals(here)) return false;
                return true;
            }

            void add(Node n, Set<Integer> nReads) {
                members.add(n);
                reads.addAll(nReads);
            }

            Kernel kernel() {
                Lowering lowering = new Lowering(buffers, members, vars);
                List<Kernel.Store> stores = new ArrayList<>();
                for (Node m : members) stores.add(new Kernel.Store(buffers.get(m), lowering.lower(m, vars)));
                return new Kernel.Pointwise(shape, stores);
            }
        }

        /** The kernel of a reduction or contraction {@code anchor} whose epilogue ends at {@code tail}. */
        Kernel anchored(Node anchor, Node tail, int out) {
            Lowering prologue = new Lowering(buffers, null, (Node) null);
            Lowering epilogue = new Lowering(buffers, anchor, tail);
            return switch (anchor.op()) {
                case Op.Reduce r -> {
                    Shape domain = anchor.input(0).shape();
                    Ix[] v = vars(domain, 0);
                    List<Ix> outIdx = new ArrayList<>();
                    for (int i = 0; i < domain.rank(); i++) {
                        if (!r.axes().contains(i)) outIdx.add(v[i]);
                        else if (r.keepDims()) outIdx.add(Ix.constant(0));
                    }
                    Ix[] o = outIdx.toArray(new Ix[0]);
                    yield new Kernel.Reduction(out, domain, r.axes(), r.fn(), prologue.lower(anchor.input(0), v),
                            epilogue.lower(tail, o), offset(o, anchor.shape()));
                }
                case Op.MatMul m -> matmul(anchor, tail, out, prologue, epilogue);
                case Op.Conv2d c -> conv2d(c, anchor, tail, out, prologue, epilogue);
                default -> throw new IllegalStateException("not a reduction or contraction: " + anchor);
            };
        }

        private Kernel matmul(Node mm, Node tail, int out, Lowering prologue, Lowering epilogue) {
            Shape s = mm.shape();
            int r = s.rank();
            int rows = s.dim(r - 2), cols = s.dim(r - 1), inner = mm.input(0).shape().dim(r - 1);
            int[] batchDims = java.util.Arrays.copyOf(s.dims(), r - 2);
            int batch = Shape.of(batchDims).numel();
            Ix b = Ix.var(Kernel.Contraction.B, batch), m = Ix.var(Kernel.Contraction.M, rows);
            Ix n = Ix.var(Kernel.Contraction.N, cols), k = Ix.var(Kernel.Contraction.K, inner);
            Ix[] batchIdx = unflatten(b, batchDims);
            Ix[] aIdx = concat(batchIdx, m, k), bIdx = concat(batchIdx, k, n), oIdx = concat(batchIdx, m, n);
            Expr a = prologue.lower(mm.input(0), aIdx), bOperand = prologue.lower(mm.input(1), bIdx), e = epilogue.lower(tail, oIdx);
            Ix o = offset(oIdx, s);
            List<Expr> exprs = List.of(a, bOperand, e);
            return new Kernel.Contraction(out, batch, rows, cols, inner, a, bOperand, e, o,
                    digits(Kernel.Contraction.N, cols, exprs, o), digits(Kernel.Contraction.K, inner, exprs, o));
        }

        /**
         * How a matmul's n or k splits into digits, read off the indices that use it: an operand reshaped from
         * [N, OH, OW] reads n as n/100, (n/10)%10 and n%10, so n = 6400 has the factors [64, 10, 10]. Code generators loop
         * over the digits, and the divisions disappear from the indices (a convolution's input gradient packed its
         * output gradient at 3 ns per element through them). Just [extent] when the divisors don't nest.
         */
        static List<Integer> digits(int var, int extent, List<Expr> exprs, Ix out) {
            java.util.TreeSet<Long> divisors = new java.util.TreeSet<>();
            collectDivisors(out, var, divisors);
            for (Expr x : exprs) {
                Kernels.mapIndices(x, ix -> {
                    collectDivisors(ix, var, divisors);
                    return ix;
                });
            }
            List<Integer> factors = new ArrayList<>();
            long below = 1;
            for (long d : divisors) {
                if (d >= extent || d % below != 0) return List.of(extent);
                factors.add(0, (int) (d / below));
                below = d;
            }
            if (extent % below != 0) return List.of(extent);
            factors.add(0, (int) (extent / below));
            return factors;
        }

        private static void collectDivisors(Ix ix, int var, java.util.Set<Long> divisors) {
            for (Ix.Term t : ix.terms()) {
                Ix inner = switch (t.atom()) {
                    case Ix.Div d -> { if (isVar(d.x(), var)) divisors.add(d.divisor()); yield d.x(); }
                    case Ix.Mod m -> { if (isVar(m.x(), var)) divisors.add(m.divisor()); yield m.x(); }
                    case Ix.Var v -> null;
                };
                if (inner != null) collectDivisors(inner, var, divisors);
            }
        }

        private static boolean isVar(Ix ix, int var) {
            return ix.constantPart() == 0 && ix.terms().size() == 1 && ix.terms().get(0).coef() == 1
                    && ix.terms().get(0).atom() instanceof Ix.Var v && v.id() == var;
        }

        /**
         * Convolution as one implicit GEMM: [O × C·KH·KW] weights times [C·KH·KW × N·OH·OW] input patches, the images
         * side by side along n (one large product instead of one small one per image).
         */
        private Kernel conv2d(Op.Conv2d c, Node conv, Node tail, int out, Lowering prologue, Lowering epilogue) {
            Shape x = conv.input(0).shape(), w = conv.input(1).shape(), y = conv.shape();
            int kh = w.dim(2), kw = w.dim(3), oh = y.dim(2), ow = y.dim(3), images = y.dim(0);
            Ix m = Ix.var(Kernel.Contraction.M, y.dim(1));
            Ix n = Ix.var(Kernel.Contraction.N, images * oh * ow), k = Ix.var(Kernel.Contraction.K, x.dim(1) * kh * kw);
            Ix ch = k.div((long) kh * kw), p = k.div(kw).mod(kh), q = k.mod(kw);
            Ix image = n.div((long) oh * ow), row = n.div(ow).mod(oh), col = n.mod(ow);
            Ix inRow = row.times(c.strideH()).plus(p.times(c.dilationH())).plus(-c.padH());
            Ix inCol = col.times(c.strideW()).plus(q.times(c.dilationW())).plus(-c.padW());
            Expr patch = Kernels.guard(List.of(bound(inRow, x.dim(2)), bound(inCol, x.dim(3))),
                    () -> prologue.lower(conv.input(0), new Ix[] {image, ch, inRow, inCol}), 0, conv.dtype());
            Ix[] oIdx = {image, m, row, col};
            return new Kernel.Contraction(out, 1, y.dim(1), images * oh * ow, x.dim(1) * kh * kw,
                    prologue.lower(conv.input(1), new Ix[] {m, ch, p, q}), patch, epilogue.lower(tail, oIdx), offset(oIdx, y),
                    List.of(images, oh, ow), List.of(x.dim(1), kh, kw));
        }
    }

    static Expr.Bound bound(Ix index, int size) { return new Expr.Bound(index, 0, size - 1); }

    static Ix[] vars(Shape s, int firstId) {
        Ix[] v = new Ix[s.rank()];
        for (int i = 0; i < v.length; i++) v[i] = Ix.var(firstId + i, s.dim(i));
        return v;
    }

    /** Row-major offset of a multi-index in a contiguous tensor of shape {@code s}. */
    static Ix offset(Ix[] idx, Shape s) {
        int[] strides = s.strides();
        Ix off = Ix.constant(0);
        for (int i = 0; i < idx.length; i++) off = off.plus(idx[i].times(strides[i]));
        return off;
    }

    static Ix[] unflatten(Ix flat, int[] dims) {
        Ix[] idx = new Ix[dims.length];
        int stride = 1;
        for (int i = dims.length - 1; i >= 0; i--) {
            idx[i] = flat.div(stride).mod(dims[i]);
            stride *= dims[i];
        }
        return idx;
    }

    private static Ix[] concat(Ix[] head, Ix... tail) {
        Ix[] all = java.util.Arrays.copyOf(head, head.length + tail.length);
        System.arraycopy(tail, 0, all, head.length, tail.length);
        return all;
    }

    /** Lowers a node, at a multi-index, to an expression; memoised so shared subexpressions stay shared. */
    private static final class Lowering {
        private final Map<Node, Integer> buffers;
        private final Node anchor;
        private final Set<Node> roots;
        private final Ix rootOffset;
        private final Map<Key, Expr> memo = new LinkedHashMap<>();

        private record Key(Node node, List<Ix> index) {}

        /** Lowers for a kernel that computes {@code root} (not loaded from its own buffer), with {@code anchor} as the accumulator. */
        Lowering(Map<Node, Integer> buffers, Node anchor, Node root) {
            this.buffers = buffers;
            this.anchor = anchor;
            this.roots = root == null ? Set.of() : identitySet(List.of(root));
            this.rootOffset = null;
        }

        /**
         * Lowers for a kernel that computes all of {@code roots} (same-shaped) at multi-index {@code at}: read at that
         * element they are computed, elsewhere loaded.
         */
        Lowering(Map<Node, Integer> buffers, List<Node> roots, Ix[] at) {
            this.buffers = buffers;
            this.anchor = null;
            this.roots = identitySet(roots);
            this.rootOffset = offset(at, roots.get(0).shape());
        }

        Expr lower(Node n, Ix[] idx) {
            Key key = new Key(n, List.of(idx));
            Expr e = memo.get(key);
            if (e == null) {
                e = compute(n, idx);
                memo.put(key, e);
            }
            return e;
        }

        private Expr compute(Node n, Ix[] idx) {
            if (n == anchor) return new Expr.Acc(n.dtype());
            boolean computedHere = roots.contains(n) && (rootOffset == null || rootOffset.equals(offset(idx, n.shape())));
            Integer buffer = computedHere ? null : buffers.get(n);
            if (buffer != null) return new Expr.Load(buffer, offset(idx, n.shape()), n.dtype());
            DType t = n.dtype();
            return switch (n.op()) {
                case Op.Leaf l -> throw new IllegalStateException("leaf without a buffer: " + n);
                case Op.Constant c -> new Expr.Const(c.value(), t);
                case Op.RandomUniform r -> new Expr.Random(lower(n.input(0), new Ix[0]), r.salt(), offset(idx, n.shape()));
                case Op.Cast c -> new Expr.Cast(lower(n.input(0), idx), t);
                case Op.Unary u -> new Expr.Unary(u.fn(), lower(n.input(0), idx), t);
                case Op.Binary b -> new Expr.Binary(b.fn(), lower(n.input(0), idx), lower(n.input(1), idx), t);
                case Op.Where w -> new Expr.Where(lower(n.input(0), idx), lower(n.input(1), idx), lower(n.input(2), idx), t);
                case Op.Reshape r -> lower(n.input(0), unflatten(offset(idx, n.shape()), n.input(0).shape().dims()));
                case Op.Permute p -> {
                    Ix[] in = new Ix[idx.length];
                    for (int i = 0; i < idx.length; i++) in[p.order().get(i)] = idx[i];
                    yield lower(n.input(0), in);
                }
                case Op.Expand e -> {
                    Shape in = n.input(0).shape();
                    Ix[] src = new Ix[idx.length];
                    for (int i = 0; i < idx.length; i++) src[i] = in.dim(i) == 1 ? Ix.constant(0) : idx[i];
                    yield lower(n.input(0), src);
                }
                case Op.Slice s -> {
                    Ix[] src = new Ix[idx.length];
                    for (int i = 0; i < idx.length; i++) src[i] = idx[i].times(s.step().get(i)).plus(s.start().get(i));
                    yield lower(n.input(0), src);
                }
                case Op.Pad p -> {
                    Shape in = n.input(0).shape();
                    Ix[] src = new Ix[idx.length];
                    List<Expr.Bound> bounds = new ArrayList<>();
                    for (int i = 0; i < idx.length; i++) {
                        src[i] = idx[i].plus(-p.before().get(i));
                        bounds.add(bound(src[i], in.dim(i)));
                    }
                    yield Kernels.guard(bounds, () -> lower(n.input(0), src), p.value(), t);
                }
                case Op.Reduce r -> throw unrealized(n);
                case Op.MatMul m -> throw unrealized(n);
                case Op.Conv2d c -> throw unrealized(n);
            };
        }

        private static IllegalStateException unrealized(Node n) {
            return new IllegalStateException("scheduler bug: " + n + " should have its own kernel");
        }
    }
}
