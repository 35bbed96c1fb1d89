package dev.kiln.dsl;

import dev.kiln.ir.Autodiff;
import dev.kiln.ir.DType;
import dev.kiln.ir.Node;
import dev.kiln.ir.Op;
import dev.kiln.ir.Ops;
import dev.kiln.ir.Shape;
import dev.kiln.ir.backend.HostBuffer;
import dev.kiln.ir.ShapeException;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.function.UnaryOperator;

/**
 * A tensor with PyTorch's API and autograd. Every op records a node in the graph IR; values are computed only when
 * read ({@link #item()}, printing, a data-dependent branch). Method names follow PyTorch; Kotlin's operators
 * ({@code a + b}, {@code a * 2f}, {@code -a}, {@code a[i]}, {@code a > 1}) map onto the aliases at the end.
 */
public class Tensor {
    private Node node;
    /**
     * Where this tensor lives and its ops run. Values sit in host memory between programs, so a node means the same
     * on every device: the device only picks the backend that computes it, and a moved tensor can share its source's
     * node, which is how gradients flow back across a move.
     */
    private Device device;
    private boolean requiresGrad;
    private GradFn gradFn;
    private Tensor grad;
    private boolean retainsGrad;
    /** A Python-style number turned into a tensor: the weakest party in type promotion. */
    private boolean wrappedScalar;
    /** Bumped by every in-place op on this tensor; a view reads its base's. */
    private int version;
    /**
     * For a view (PyTorch's view ops share storage with their base): the tensor whose storage it shares (never itself
     * a view), how this view's node is built from the base's node, and the base's version that {@link #node} reflects.
     */
    private Tensor base;
    private ViewFn viewFn;
    private int baseVersion;
    /** Where a compiled training step keeps this tensor's newest value, and which of its updates {@link #node} reflects. */
    private StorageOwner owner;
    private int ownerGeneration;

    /**
     * Keeps a tensor's storage elsewhere and updates it in place (a compiled training step's double buffers): the tensor
     * copies the newest value in only when it is read, so steps themselves cost the tensor nothing.
     */
    interface StorageOwner {
        /** Bumped whenever the owner's copy changes. */
        int generation();

        /** The owner's newest value for {@code t}. */
        HostBuffer current(Tensor t);

        /** {@code t} has copied the owner's value in and is now at {@code version}. */
        void synced(Tensor t, int version);
    }

    Tensor(Node node, Device device, boolean requiresGrad, GradFn gradFn) {
        this.node = node;
        this.device = device;
        this.requiresGrad = requiresGrad;
        this.gradFn = gradFn;
    }

    /** A new leaf with a copy of {@code source}'s current values, for parameters and buffers. */
    protected Tensor(Tensor source, Op.Role role, boolean requiresGrad) {
        Node src = source.node();
        this.node = Node.leaf(role, role.name().toLowerCase(), src.shape(), src.dtype());
        this.device = source.device();
        Realizer.bind(node, Realizer.values(src, device));
        if (requiresGrad && !source.dtype().isFloating()) {
            throw new IllegalArgumentException("only Tensors of floating point dtype can require gradients");
        }
        this.requiresGrad = requiresGrad;
    }

    /** A new CPU leaf holding {@code values} (rounded to {@code dtype}). */
    static Tensor constant(double[] values, Shape shape, DType dtype) { return constant(values, shape, dtype, Device.CPU); }

    /** A new leaf on {@code device} holding {@code values}; the device is taken as usable (callers check user input). */
    static Tensor constant(double[] values, Shape shape, DType dtype, Device device) {
        Node leaf = Node.leaf(Op.Role.INPUT, "tensor", shape, dtype);
        Realizer.bind(leaf, values);
        return new Tensor(leaf, device, false, null);
    }

    /** A new CPU leaf over {@code buffer}'s values, taken over without a copy. */
    static Tensor constant(HostBuffer buffer, Shape shape) {
        Node leaf = Node.leaf(Op.Role.INPUT, "tensor", shape, buffer.dtype());
        Realizer.bind(leaf, buffer);
        return new Tensor(leaf, Device.CPU, false, null);
    }

    /**
     * The result of an op over {@code inputs}, on their common device (an op over tensors on two devices fails here, as
     * in PyTorch); tracked by autograd when any input requires grad and grad mode is on.
     */
    static Tensor derive(Node node, String gradFnName, Tensor... inputs) {
        return derive(node, Devices.common(inputs), gradFnName, inputs);
    }

    /** The result of an op over {@code inputs} that lives on {@code device} (a move: its input is elsewhere). */
    private static Tensor derive(Node node, Device device, String gradFnName, Tensor... inputs) {
        boolean anyRequiresGrad = false;
        for (Tensor t : inputs) anyRequiresGrad |= t.requiresGrad();
        if (anyRequiresGrad && Autograd.isGradEnabled()) return new Tensor(node, device, true, new GradFn(gradFnName, List.of(inputs)));
        if (anyRequiresGrad) return detached(node, device);
        return new Tensor(node, device, false, null);
    }

    /** A tensor on {@code device} that autograd does not track (random masks, indices), computed by {@code node}. */
    static Tensor untracked(Node node, Device device) { return new Tensor(node, device, false, null); }

    /**
     * A tensor computed by a gradient graph ({@code create_graph=True}), itself differentiable. Its grad_fn links to
     * {@code sources} (the outputs, the differentiated tensors and the seeds) so a later backward finds every leaf.
     */
    static Tensor fromGradient(Node node, List<Tensor> sources, Device device) {
        List<Tensor> inputs = new ArrayList<>();
        for (Tensor s : sources) if (s.requiresGrad()) inputs.add(s);
        return new Tensor(node, device, true, new GradFn(gradFnName(node), inputs));
    }

    /** A leaf whose value is {@code definition}'s, cut from the gradient graph but still lazy. */
    private static Tensor detached(Node definition, Device device) { return new Tensor(detachedNode(definition), device, false, null); }

    private static Node detachedNode(Node definition) {
        Node leaf = Node.leaf(Op.Role.INPUT, "detached", definition.shape(), definition.dtype());
        Realizer.defineLazily(leaf, definition);
        return leaf;
    }

    private static String gradFnName(Node n) {
        String op = n.op().name();
        return Character.toUpperCase(op.charAt(0)) + op.substring(1).replace("_", "") + "Backward0";
    }

    // ---- views ----------------------------------------------------------------------------------------------------

    /** How a view's node is built from its base's: a chain of steps, each a movement op or a cut from autograd. */
    private record ViewFn(List<Step> steps) {
        static final ViewFn IDENTITY = new ViewFn(List.of());

        ViewFn then(Step step) {
            List<Step> s = new ArrayList<>(steps);
            s.add(step);
            return new ViewFn(List.copyOf(s));
        }

        /** The view's node from the base's, cuts included. */
        Node apply(Node base) {
            Node n = base;
            for (Step s : steps) n = s.fn().apply(n);
            return n;
        }

        /** The movement alone (cuts skipped): where each element of the view lives in the base. */
        Node place(Node base) {
            Node n = base;
            for (Step s : steps) if (s.kind() != Kind.DETACH) n = s.fn().apply(n);
            return n;
        }

        boolean cut() { return steps.stream().anyMatch(s -> s.kind() == Kind.DETACH); }

        boolean overlaps() { return steps.stream().anyMatch(s -> s.kind() == Kind.EXPAND); }

        boolean bijective() { return steps.stream().allMatch(s -> s.kind() == Kind.BIJECTIVE || s.kind() == Kind.DETACH); }
    }

    /** BIJECTIVE: every base element once (reshape, permute); SUBSET: some elements once (slice, select); EXPAND: some more than once. */
    private enum Kind { BIJECTIVE, SUBSET, EXPAND, DETACH }

    private record Step(UnaryOperator<Node> fn, Kind kind) {}

    private static final Step DETACH = new Step(Tensor::detachedNode, Kind.DETACH);

    /** The view of this tensor that {@code fn} builds from its node, sharing storage with this tensor's base. */
    private Tensor view(UnaryOperator<Node> fn, Kind kind, String gradFnName) {
        Node n = fn.apply(node());
        Tensor root = base != null ? base : this;
        ViewFn chain = (base != null ? viewFn : ViewFn.IDENTITY).then(new Step(fn, kind));
        Tensor v;
        if (requiresGrad && Autograd.isGradEnabled()) {
            v = new Tensor(n, device(), true, new GradFn(gradFnName, List.of(this)));
        } else if (requiresGrad) {
            // made under no_grad: shares storage, but stays cut from the gradient graph when the base changes
            chain = chain.then(DETACH);
            v = new Tensor(detachedNode(n), device(), false, null);
        } else {
            v = new Tensor(n, device(), false, null);
        }
        v.base = root;
        v.viewFn = chain;
        v.baseVersion = root.version;
        return v;
    }

    /** Kind of a movement from {@code from} elements to {@code to} elements. */
    private static Kind kindOf(Node from, Node to) {
        int a = from.shape().numel(), b = to.shape().numel();
        return a == b ? Kind.BIJECTIVE : b > a ? Kind.EXPAND : Kind.SUBSET;
    }

    /** Hands this (non-view) tensor's storage to {@code o}; its current value is already in the owner's buffer. */
    void own(StorageOwner o) {
        if (base != null) throw new IllegalStateException("a view's storage belongs to its base");
        owner = o;
        ownerGeneration = o.generation();
    }

    StorageOwner owner() { return owner; }

    /** Takes in the owner's newest value, if it changed since this tensor last looked. */
    private void syncOwner() {
        if (owner == null || ownerGeneration == owner.generation()) return;
        ownerGeneration = owner.generation();
        HostBuffer src = owner.current(this);
        HostBuffer copy = HostBuffer.allocate(src.dtype(), src.length());
        System.arraycopy(src.array(), 0, copy.array(), 0, src.length());
        assignBuffer(copy);
        owner.synced(this, version);
    }

    /** Re-derives a view's node when its base changed in place since. */
    private void refresh() {
        if (base != null) base.syncOwner();
        else syncOwner();
        if (base == null || baseVersion == base.version) return;
        node = viewFn.apply(base.node);
        baseVersion = base.version;
        if (!viewFn.cut()) {
            requiresGrad = base.requiresGrad;
            gradFn = base.requiresGrad ? new GradFn("AsStridedBackward0", List.of(base)) : null;
        }
    }

    /** Whether this tensor is a view sharing storage with another ({@code t._is_view()}). */
    public boolean isView() { return base != null; }

    /** The tensor this view shares storage with ({@code t._base}), or null. */
    public Tensor base() { return base; }

    /** How many in-place ops changed this tensor's storage ({@code t._version}). */
    public int version() { return base != null ? base.version : version; }

    // ---- identity and metadata ------------------------------------------------------------------------------------

    /** The IR node this tensor currently stands for. */
    public Node node() {
        refresh();
        return node;
    }

    public DType dtype() { return node.dtype(); }

    public Size shape() { return new Size(node.shape()); }

    public Size size() { return shape(); }

    public int size(int dim) { return node.shape().dim(axis(dim)); }

    public int dim() { return node.shape().rank(); }

    public int numel() { return node.shape().numel(); }

    public boolean requiresGrad() {
        refresh();
        return requiresGrad;
    }

    /** Kotlin's {@code t.requiresGrad}. */
    public boolean getRequiresGrad() { return requiresGrad(); }

    /** Kotlin's {@code p.requiresGrad = false}: freezes or unfreezes a leaf. */
    public void setRequiresGrad(boolean value) { requiresGrad_(value); }

    /** Kotlin's {@code t.shape}. */
    public Size getShape() { return shape(); }

    /** Where this tensor lives and its ops run ({@code t.device}); a view lives where its base does. */
    public Device device() { return base != null ? base.device() : device; }

    /** Kotlin's {@code t.device}. */
    public Device getDevice() { return device(); }

    /** Whether this tensor is on a GPU ({@code t.is_cuda}). */
    public boolean isCuda() { return device().isCuda(); }

    /** Kotlin's {@code t.grad}. */
    public Tensor getGrad() { return grad; }

    /** Sets {@code requires_grad} on a leaf; returns this. */
    public final Tensor requiresGrad_(boolean value) {
        if (!isLeaf() && !value) throw new IllegalStateException("you can only change requires_grad flags of leaf variables.");
        if (!isLeaf() && value) return this;
        if (value && !dtype().isFloating()) throw new IllegalArgumentException("only Tensors of floating point dtype can require gradients");
        if (value && !requiresGrad) {
            // a fresh leaf node, so graphs built before this call don't become differentiable after the fact
            Node leaf = Node.leaf(roleOf(node), labelOf(node), node.shape(), node.dtype());
            Realizer.bind(leaf, Realizer.values(node, device()));
            device = device();
            node = leaf;
            base = null;
            viewFn = null;
        }
        requiresGrad = value;
        return this;
    }

    public Tensor requiresGrad_() { return requiresGrad_(true); }

    public boolean isLeaf() { return gradFn() == null; }

    public GradFn gradFn() {
        refresh();
        return gradFn;
    }

    /** The accumulated gradient, or null before any backward pass reached this tensor. */
    public Tensor grad() { return grad; }

    public void setGrad(Tensor g) {
        if (g != null && !g.node.shape().equals(node.shape())) {
            throw new IllegalArgumentException("assigned grad has data of a different size: " + g.shape() + " vs " + shape());
        }
        if (g != null && !g.device().equals(device())) {
            throw new IllegalArgumentException("assigned grad has data located on a different device: " + g.device() + " (the tensor is on " + device() + ")");
        }
        grad = g;
    }

    /** Keeps {@code .grad} for this non-leaf tensor in later backward passes. */
    public Tensor retainGrad() {
        if (!requiresGrad()) throw new IllegalStateException("can't retain_grad on Tensor that has requires_grad=False");
        retainsGrad = true;
        return this;
    }

    boolean retainsGrad() { return retainsGrad; }

    // ---- autograd -------------------------------------------------------------------------------------------------

    /** Backpropagates from this scalar, accumulating into the {@code .grad} of every leaf that requires grad. */
    public void backward() { Autograd.backward(this, null, false); }

    /** The vector-Jacobian product with {@code gradient}, accumulated into the leaves' {@code .grad}. */
    public void backward(Tensor gradient) { Autograd.backward(this, gradient, false); }

    public void backward(Tensor gradient, boolean createGraph) { Autograd.backward(this, gradient, createGraph); }

    /** The same values, cut from the graph; never requires grad. Shares storage: in-place changes show on both sides. */
    public Tensor detach() {
        Tensor root = base != null ? base : this;
        Tensor d = new Tensor(detachedNode(node()), device(), false, null);
        d.base = root;
        d.viewFn = (base != null ? viewFn : ViewFn.IDENTITY).then(DETACH);
        d.baseVersion = root.version;
        return d;
    }

    /** PyTorch's {@code .data}: the detached view, through which in-place changes reach this tensor unrecorded. */
    public Tensor data() { return detach(); }

    /** Kotlin's {@code t.data} ({@code w.data[0, 0] = 42}). */
    public Tensor getData() { return data(); }

    public Tensor clone() { return derive(node(), "CloneBackward0", this); }

    void accumulateGrad(double[] values) {
        if (grad == null) {
            grad = constant(values, node.shape(), node.dtype(), device());
        } else if (grad.base != null) {
            Tensor g = grad;
            Autograd.noGrad(() -> g.add_(constant(values, node.shape(), node.dtype(), g.device())));
        } else {
            double[] old = grad.toDoubleArray();
            double[] sum = new double[old.length];
            for (int i = 0; i < sum.length; i++) sum[i] = old[i] + values[i];
            grad.assign(sum);
        }
    }

    void accumulateGrad(Tensor g) { grad = grad == null ? g : grad.add(g); }

    /** Replaces this (non-view) tensor's value in place with a new leaf holding {@code values}. */
    private void assign(double[] values) {
        Node leaf = Node.leaf(roleOf(node), labelOf(node), node.shape(), node.dtype());
        Realizer.bind(leaf, values);
        node = leaf;
        version++;
    }

    /** Replaces this (non-view) tensor's storage with {@code buffer}, taken over without a copy (compiled steps). */
    void assignBuffer(HostBuffer buffer) {
        if (base != null) throw new IllegalStateException("cannot rebind the storage of a view");
        Node leaf = Node.leaf(roleOf(node), labelOf(node), node.shape(), node.dtype());
        Realizer.bind(leaf, buffer);
        node = leaf;
        version++;
    }

    /** A tensor standing for data supplied later (a compiled program's input); reading its value is an error. */
    static Tensor placeholder(Shape shape, DType dtype, Device device, String label) {
        return new Tensor(Node.leaf(Op.Role.INPUT, label, shape, dtype), device, false, null);
    }

    private static Op.Role roleOf(Node n) { return n.op() instanceof Op.Leaf l ? l.role() : Op.Role.INPUT; }

    private static String labelOf(Node n) { return n.op() instanceof Op.Leaf l ? l.label() : "tensor"; }

    // ---- reading values -------------------------------------------------------------------------------------------

    public double[] toDoubleArray() { return Realizer.values(node(), device()).clone(); }

    public float[] toFloatArray() {
        double[] v = Realizer.values(node(), device());
        float[] f = new float[v.length];
        for (int i = 0; i < v.length; i++) f[i] = (float) v[i];
        return f;
    }

    public long[] toLongArray() {
        HostBuffer b = Realizer.buffer(node(), device());
        if (b.array() instanceof long[] exact) return exact.clone();      // int64 beyond 2^53 doesn't survive a double
        double[] v = b.toDoubles();
        long[] l = new long[v.length];
        for (int i = 0; i < v.length; i++) l[i] = (long) v[i];
        return l;
    }

    /** The value of a one-element tensor. */
    public double item() {
        if (numel() != 1) throw new IllegalStateException("a Tensor with " + numel() + " elements cannot be converted to Scalar");
        return Realizer.values(node(), device())[0];
    }

    @Override public String toString() { return TensorFormatter.format(this); }

    // ---- elementwise arithmetic (broadcasting, PyTorch's type promotion) ------------------------------------------

    public Tensor add(Tensor other) { return binary(Op.BinaryFn.ADD, other, "AddBackward0"); }

    public Tensor add(Number other) { return binary(Op.BinaryFn.ADD, scalarLike(other), "AddBackward0"); }

    public Tensor sub(Tensor other) { return binary(Op.BinaryFn.SUB, other, "SubBackward0"); }

    public Tensor sub(Number other) { return binary(Op.BinaryFn.SUB, scalarLike(other), "SubBackward0"); }

    public Tensor mul(Tensor other) { return binary(Op.BinaryFn.MUL, other, "MulBackward0"); }

    public Tensor mul(Number other) { return binary(Op.BinaryFn.MUL, scalarLike(other), "MulBackward0"); }

    /** True division: integer operands give a floating result, as in PyTorch. */
    public Tensor div(Tensor other) { return floating().binary(Op.BinaryFn.DIV, other.floatingLike(this), "DivBackward0"); }

    public Tensor div(Number other) { return floating().binary(Op.BinaryFn.DIV, floating().scalarLike(other), "DivBackward0"); }

    /** {@code other - this}, for scalars on the left; the scalar is no input of the grad_fn. */
    public Tensor rsub(Number other) {
        Tensor s = scalarLike(other);
        DType t = promote(s, this);
        return derive(Ops.binary(Op.BinaryFn.SUB, Ops.cast(s.node(), t), Ops.cast(node(), t)), "RsubBackward1", this);
    }

    /** {@code other / this}, for scalars on the left. */
    public Tensor rdiv(Number other) { return floating().scalarLike(other).binary(Op.BinaryFn.DIV, floating(), "DivBackward0"); }

    public Tensor neg() { return derive(Ops.neg(node()), "NegBackward0", this); }

    public Tensor pow(Number exponent) {
        boolean floatExponent = exponent instanceof Double || exponent instanceof Float;
        if (!floatExponent && !dtype().isFloating() && exponent.longValue() < 0) {
            throw new IllegalArgumentException("Integers to negative integer powers are not allowed.");
        }
        Tensor base = floatExponent ? floating() : this;
        return derive(Ops.pow(base.node(), base.scalarLike(exponent).node()), "PowBackward0", this);
    }

    public Tensor pow(Tensor exponent) { return binary(Op.BinaryFn.POW, exponent, "PowBackward1"); }

    public Tensor maximum(Tensor other) { return binary(Op.BinaryFn.MAX, other, "MaximumBackward0"); }

    public Tensor minimum(Tensor other) { return binary(Op.BinaryFn.MIN, other, "MinimumBackward0"); }

    public Tensor exp() { return unary(Op.UnaryFn.EXP, "ExpBackward0"); }

    public Tensor log() { return unary(Op.UnaryFn.LOG, "LogBackward0"); }

    public Tensor sqrt() { return unary(Op.UnaryFn.SQRT, "SqrtBackward0"); }

    public Tensor abs() { return derive(Ops.unary(Op.UnaryFn.ABS, node()), "AbsBackward0", this); }

    public Tensor sign() { return derive(Ops.unary(Op.UnaryFn.SIGN, node()), "SignBackward0", this); }

    public Tensor reciprocal() { return unary(Op.UnaryFn.RECIPROCAL, "ReciprocalBackward0"); }

    public Tensor tanh() { return unary(Op.UnaryFn.TANH, "TanhBackward0"); }

    public Tensor sigmoid() { return unary(Op.UnaryFn.SIGMOID, "SigmoidBackward0"); }

    /** {@code max(x, 0)} (NaN stays NaN), with PyTorch's zero gradient at 0. */
    public Tensor relu() { return derive(Ops.unary(Op.UnaryFn.RELU, node()), "ReluBackward0", this); }

    /**
     * Limits values to [min, max]; either bound may be null. The gradient passes where min ≤ x ≤ max. A float bound
     * makes an integer tensor float32, as PyTorch's type promotion does.
     */
    public Tensor clamp(Number min, Number max) { return clamp(min, max, "ClampBackward1"); }

    public Tensor clampMin(Number min) { return clamp(min, null, "ClampMinBackward0"); }

    public Tensor clampMax(Number max) { return clamp(null, max, "ClampMaxBackward0"); }

    private Tensor clamp(Number min, Number max, String gradFnName) {
        if (min == null && max == null) throw new IllegalArgumentException("torch.clamp: At least one of 'min' or 'max' must not be None");
        DType t = dtype();
        if (!t.isFloating() && (isFloatNumber(min) || isFloatNumber(max))) t = DType.F32;
        Node r = Ops.cast(node(), t);
        if (min != null) {
            Node lo = Ops.scalar(min.doubleValue(), t);
            r = Ops.where(Ops.lt(r, lo), lo, r);
        }
        if (max != null) {
            Node hi = Ops.scalar(max.doubleValue(), t);
            r = Ops.where(Ops.gt(r, hi), hi, r);
        }
        return derive(r, gradFnName, this);
    }

    private static boolean isFloatNumber(Number n) { return n instanceof Double || n instanceof Float; }

    // ---- comparisons (bool results, no gradient) ------------------------------------------------------------------

    public Tensor lt(Tensor other) { return compare(Op.BinaryFn.LT, this, other); }

    public Tensor gt(Tensor other) { return compare(Op.BinaryFn.LT, other, this); }

    public Tensor le(Tensor other) { return lnot(gt(other)); }

    public Tensor ge(Tensor other) { return lnot(lt(other)); }

    public Tensor eq(Tensor other) { return compare(Op.BinaryFn.EQ, this, other); }

    public Tensor ne(Tensor other) { return lnot(eq(other)); }

    public Tensor lt(Number other) { return lt(scalarLike(other)); }

    public Tensor gt(Number other) { return gt(scalarLike(other)); }

    public Tensor le(Number other) { return le(scalarLike(other)); }

    public Tensor ge(Number other) { return ge(scalarLike(other)); }

    public Tensor eq(Number other) { return eq(scalarLike(other)); }

    public Tensor ne(Number other) { return ne(scalarLike(other)); }

    private static Tensor compare(Op.BinaryFn fn, Tensor a, Tensor b) {
        DType t = promote(a, b);
        return untracked(Ops.binary(fn, Ops.cast(a.node(), t), Ops.cast(b.node(), t)), Devices.common(a, b));
    }

    private static Tensor lnot(Tensor bool) { return untracked(Ops.not(bool.node()), bool.device()); }

    /** Elementwise choice: {@code cond ? this : other}; {@code cond} must be bool. */
    public Tensor where(Tensor cond, Tensor other) {
        if (cond.dtype() != DType.BOOL) {
            throw new IllegalArgumentException("where expected condition to be a boolean tensor, but got a tensor with dtype " + scalarTypeName(cond.dtype()));
        }
        DType t = promote(this, other);
        Device d = Devices.common(cond, this, other);
        return derive(Ops.where(cond.node(), Ops.cast(node(), t), Ops.cast(other.node(), t)), d, "WhereBackward0", this, other);
    }

    /** This tensor converted to {@code dtype}. */
    public Tensor to(DType dtype) { return dtype == dtype() ? this : derive(Ops.cast(node(), dtype), "ToCopyBackward0", this); }

    // ---- devices --------------------------------------------------------------------------------------------------

    /**
     * This tensor on {@code device} ({@code t.to(device)}): itself when it is already there, as in PyTorch, else a copy
     * there that gradients flow back through to this tensor on its own device. A GPU this machine doesn't have fails
     * at once, saying why and which devices there are.
     */
    public Tensor to(Device device) { return moved(Devices.resolve(device)); }

    /** {@code t.to("cuda:0")}, {@code t.to("cpu")}. */
    public Tensor to(String device) { return to(Device.of(device)); }

    /** This tensor on the CPU ({@code t.cpu()}). */
    public Tensor cpu() { return to(Device.CPU); }

    /** This tensor on the current GPU, {@code cuda:0} ({@code t.cuda()}). */
    public Tensor cuda() { return to(Device.cuda(0)); }

    /** This tensor on GPU {@code index} ({@code t.cuda(index)}). */
    public Tensor cuda(int index) { return to(Device.cuda(index)); }

    /**
     * This tensor on {@code target}, taken as usable. The copy shares this tensor's node (values live in host memory,
     * so nothing moves until a backend computes), and gradients reach this tensor through it.
     */
    Tensor moved(Device target) {
        if (target.equals(device())) return this;
        return derive(node(), target, "ToCopyBackward0", this);
    }

    /**
     * PyTorch's {@code t.data = other}: this leaf takes {@code other}'s value, shape, dtype and device, keeping its
     * identity, {@code requires_grad} and {@code .grad}. {@code Module.to} moves parameters in place this way.
     */
    public void setData(Tensor other) {
        if (base != null) throw new IllegalStateException("setData: cannot replace the data of a view; set it on its base");
        if (!isLeaf()) throw new IllegalStateException("setData: only a leaf takes new data here, not a result of " + gradFn);
        if (requiresGrad && !other.dtype().isFloating()) {
            throw new IllegalArgumentException("data set to a tensor that requires gradients must be floating point, got " + other.dtype().torchName());
        }
        syncOwner();                        // a compiled step's newer value must not overwrite the new data later
        Node leaf = Node.leaf(roleOf(node), labelOf(node), other.node().shape(), other.dtype());
        Realizer.defineLazily(leaf, other.node());
        node = leaf;
        device = other.device();
        version++;
    }

    // ---- reductions -----------------------------------------------------------------------------------------------

    public Tensor sum() { return derive(Ops.sum(accumulable().node(), Ops.allAxes(node), false), "SumBackward0", this); }

    public Tensor sum(int... dims) { return sum(dims, false); }

    public Tensor sum(int dim, boolean keepdim) { return sum(new int[] {dim}, keepdim); }

    public Tensor sum(int[] dims, boolean keepdim) { return derive(Ops.sum(accumulable().node(), axes(dims), keepdim), "SumBackward1", this); }

    public Tensor mean() {
        Tensor f = requireFloating("mean");
        return derive(Ops.div(Ops.sum(f.node(), Ops.allAxes(node), false), Ops.scalar(numel(), dtype())), "MeanBackward0", this);
    }

    public Tensor mean(int... dims) { return mean(dims, false); }

    public Tensor mean(int dim, boolean keepdim) { return mean(new int[] {dim}, keepdim); }

    public Tensor mean(int[] dims, boolean keepdim) {
        Tensor f = requireFloating("mean");
        List<Integer> axes = axes(dims);
        int count = 1;
        for (int a : axes) count *= node.shape().dim(a);
        return derive(Ops.div(Ops.sum(f.node(), axes, keepdim), Ops.scalar(count, dtype())), "MeanBackward1", this);
    }

    /** The largest element; ties share the gradient evenly, as in PyTorch. */
    public Tensor max() {
        requireElements("max");
        return derive(Ops.max(node(), Ops.allAxes(node), false), "MaxBackward1", this);
    }

    /**
     * The largest elements along {@code dim} (values only; see {@link #argmax(int)} for indices). The gradient goes to
     * the first maximum of each slice, the index PyTorch returns.
     */
    public Tensor max(int dim, boolean keepdim) {
        int a = axis(dim);
        requireNonEmptyDim("max", a);
        Node x = node();
        Node first = Ops.eq(iota(x.shape(), a, false), Ops.expand(argmaxNode(x, a, true), x.shape()));
        Node picked = Ops.where(first, x, Ops.zerosLike(x));
        return derive(Ops.sum(picked, List.of(a), keepdim), "MaxBackward0", this);
    }

    public Tensor max(int dim) { return max(dim, false); }

    /** The smallest element. */
    public Tensor min() {
        requireElements("min");
        return derive(Ops.neg(Ops.max(Ops.neg(node()), Ops.allAxes(node), false)), "MinBackward1", this);
    }

    /** The maxima over {@code dims} (all dimensions when none are given); ties share the gradient evenly. */
    public Tensor amax(int... dims) { return amax(dims, false); }

    public Tensor amax(int[] dims, boolean keepdim) {
        if (dims.length == 0) {
            requireElements("amax");
            return derive(Ops.max(node(), Ops.allAxes(node), keepdim), "AmaxBackward0", this);
        }
        List<Integer> axes = axes(dims);
        for (int a : axes) requireNonEmptyDim("amax", a);
        return derive(Ops.max(node(), axes, keepdim), "AmaxBackward0", this);
    }

    /** Index of the first largest element along {@code dim}, as int64; NaN counts as the largest. */
    public Tensor argmax(int dim) {
        int a = axis(dim);
        requireNonEmptyDim("argmax", a);
        return untracked(argmaxNode(node(), a, false), device());
    }

    /** The first index of the maximum along axis {@code a} (int64), NaN being the maximum, as PyTorch's argmax. */
    private static Node argmaxNode(Node x, int a, boolean keepDims) {
        int n = x.shape().dim(a);
        Node m = Ops.max(x, List.of(a), true);
        Node isMax = Ops.eq(x, Ops.expand(m, x.shape()));
        if (x.dtype().isFloating()) isMax = Ops.or(isMax, Ops.ne(x, x));
        // first index of the maximum = n - 1 - max over (isMax ? n - 1 - i : -1)
        Node score = Ops.where(isMax, iota(x.shape(), a, true), Ops.full(-1, x.shape(), DType.I64));
        Node best = Ops.max(score, List.of(a), keepDims);
        return Ops.sub(Ops.full(n - 1, best.shape(), DType.I64), best);
    }

    /** The index along axis {@code a} (or n - 1 - index, {@code reversed}) at every position of {@code shape}, int64. */
    private static Node iota(Shape shape, int a, boolean reversed) {
        int n = shape.dim(a);
        int[] iotaShape = new int[shape.rank()];
        Arrays.fill(iotaShape, 1);
        iotaShape[a] = n;
        double[] values = new double[n];
        for (int i = 0; i < n; i++) values[i] = reversed ? n - 1 - i : i;
        return Ops.expand(constant(values, Shape.of(iotaShape), DType.I64).node, shape);
    }

    private void requireElements(String op) {
        if (numel() == 0) {
            throw new IllegalArgumentException(op + "(): Expected reduction dim to be specified for input.numel() == 0. "
                    + "Specify the reduction dim with the 'dim' argument.");
        }
    }

    private void requireNonEmptyDim(String op, int axis) {
        if (dim() > 0 && node.shape().dim(axis) == 0) {
            throw new IndexOutOfBoundsException(op + "(): Expected reduction dim " + axis + " to have non-zero size.");
        }
    }

    // ---- shape and movement (views: they share storage with their base) --------------------------------------------

    /** A view with a new shape; one dimension may be -1 and is then inferred. */
    public Tensor reshape(int... shape) {
        Shape s = inferShape(shape);
        return view(n -> Ops.reshape(n, s), Kind.BIJECTIVE, "ReshapeAliasBackward0");
    }

    public Tensor view(int... shape) {
        Shape s = inferShape(shape);
        return view(n -> Ops.reshape(n, s), Kind.BIJECTIVE, "ViewBackward0");
    }

    public Tensor permute(int... dims) {
        if (dims.length != dim()) throw ShapeException.inScope("permute(" + Arrays.toString(dims) + "): number of dims don't match (tensor has " + dim() + ")");
        List<Integer> order = new ArrayList<>();
        for (int d : dims) order.add(axis(d));
        return view(n -> Ops.permute(n, order), Kind.BIJECTIVE, "PermuteBackward0");
    }

    public Tensor transpose(int dim0, int dim1) {
        List<Integer> order = new ArrayList<>();
        for (int i = 0; i < dim(); i++) order.add(i);
        int a = axis(dim0), b = axis(dim1);
        order.set(a, b);
        order.set(b, a);
        return view(n -> Ops.permute(n, order), Kind.BIJECTIVE, "TransposeBackward0");
    }

    /** Transpose of a tensor with at most 2 dimensions. */
    public Tensor t() {
        if (dim() > 2) throw new IllegalArgumentException("t() expects a tensor with <= 2 dimensions, but self is " + dim() + "D");
        return dim() < 2 ? this : view(Ops::transposeLast, Kind.BIJECTIVE, "TBackward0");
    }

    public Tensor unsqueeze(int dim) {
        int a = dim < 0 ? dim + dim() + 1 : dim;
        if (a < 0 || a > dim()) throw new IndexOutOfBoundsException("unsqueeze: dim " + dim + " out of range for a " + dim() + "-D tensor");
        int[] d = node.shape().dims();
        int[] out = new int[d.length + 1];
        for (int i = 0, j = 0; i < out.length; i++) out[i] = i == a ? 1 : d[j++];
        Shape s = Shape.of(out);
        return view(n -> Ops.reshape(n, s), Kind.BIJECTIVE, "UnsqueezeBackward0");
    }

    /** Drops every size-1 dimension. */
    public Tensor squeeze() {
        Shape s = Shape.of(Arrays.stream(node.shape().dims()).filter(d -> d != 1).toArray());
        return view(n -> Ops.reshape(n, s), Kind.BIJECTIVE, "SqueezeBackward0");
    }

    /** Drops {@code dim} if it has size 1. */
    public Tensor squeeze(int dim) {
        int a = axis(dim);
        if (node.shape().dim(a) != 1) return this;
        int[] d = node.shape().dims();
        int[] out = new int[d.length - 1];
        for (int i = 0, j = 0; i < d.length; i++) if (i != a) out[j++] = d[i];
        Shape s = Shape.of(out);
        return view(n -> Ops.reshape(n, s), Kind.BIJECTIVE, "SqueezeBackward1");
    }

    public Tensor flatten() { return flatten(0, -1); }

    public Tensor flatten(int startDim) { return flatten(startDim, -1); }

    /** Merges dimensions {@code startDim..endDim}; like PyTorch, returns this tensor itself when there is nothing to merge. */
    public Tensor flatten(int startDim, int endDim) {
        if (dim() == 0) return reshape(1);
        int s = axis(startDim), e = axis(endDim);
        if (s > e) throw new IllegalArgumentException("flatten() has invalid args: start_dim cannot come after end_dim");
        if (s == e) return this;
        int[] d = node.shape().dims();
        int[] out = new int[d.length - (e - s)];
        int j = 0, merged = 1;
        for (int i = 0; i < d.length; i++) {
            if (i < s || i > e) out[j++] = d[i];
            else {
                merged *= d[i];
                if (i == e) out[j++] = merged;
            }
        }
        Shape target = Shape.of(out);
        return view(n -> Ops.reshape(n, target), Kind.BIJECTIVE, "ReshapeAliasBackward0");
    }

    /** Broadcasts to {@code sizes}; -1 keeps a dimension. */
    public Tensor expand(int... sizes) {
        int lead = sizes.length - dim();
        int[] target = sizes.clone();
        for (int i = 0; i < target.length; i++) if (target[i] == -1) target[i] = node.shape().dim(i - lead);
        Shape s = Shape.of(target);
        Node probe = Ops.broadcastTo(node, s);
        return view(n -> Ops.broadcastTo(n, s), kindOf(node, probe), "ExpandBackward0");
    }

    /** Elements {@code start, start+step, ...} below {@code end} along {@code dim}. */
    public Tensor slice(int dim, int start, int end, int step) {
        int a = axis(dim);
        int n = node.shape().dim(a);
        int s = Math.min(Math.max(start < 0 ? start + n : start, 0), n);
        int e = Math.min(Math.max(end < 0 ? end + n : end, s), n);
        List<Integer> from = new ArrayList<>(), to = new ArrayList<>(), by = new ArrayList<>();
        for (int i = 0; i < dim(); i++) {
            from.add(i == a ? s : 0);
            to.add(i == a ? e : node.shape().dim(i));
            by.add(i == a ? step : 1);
        }
        if (step <= 0) throw new IllegalArgumentException("slice step must be positive, got " + step);
        return view(x -> Ops.slice(x, from, to, by), Kind.SUBSET, "SliceBackward0");
    }

    /** The elements in reverse order along {@code dims} ({@code torch.flip}; a copy, not a view). */
    public Tensor flip(int... dims) {
        List<Integer> axes = new ArrayList<>();
        for (int d : dims) axes.add(axis(d));
        return derive(Ops.flip(node(), axes), "FlipBackward0", this);
    }

    public Tensor narrow(int dim, int start, int length) { return slice(dim, start, start + length, 1); }

    /** Index {@code i} along the first dimension ({@code a[i]}), dropping that dimension. */
    public Tensor select(int dim, int index) {
        int a = axis(dim);
        int n = node.shape().dim(a);
        int i = index < 0 ? index + n : index;
        if (i < 0 || i >= n) throw new IndexOutOfBoundsException("index " + index + " is out of bounds for dimension " + dim + " with size " + n);
        int[] d = node.shape().dims();
        int[] out = new int[d.length - 1];
        for (int k = 0, j = 0; k < d.length; k++) if (k != a) out[j++] = d[k];
        Shape s = Shape.of(out);
        return view(x -> Ops.reshape(Ops.narrow(x, a, i, i + 1), s), Kind.SUBSET, "SelectBackward0");
    }

    // ---- contractions and composites ------------------------------------------------------------------------------

    /** Matrix product with PyTorch's rules: 1-D operands are promoted and squeezed back, batch dimensions broadcast. */
    public Tensor matmul(Tensor other) {
        if (dim() == 0 || other.dim() == 0) throw new IllegalArgumentException("both arguments to matmul need to be at least 1D, but they are " + dim() + "D and " + other.dim() + "D");
        DType t = promote(this, other);
        Node a = Ops.cast(node(), t), b = Ops.cast(other.node(), t);
        boolean vecA = dim() == 1, vecB = other.dim() == 1;
        if (vecA) a = Ops.reshape(a, Shape.of(1, a.shape().dim(0)));
        if (vecB) b = Ops.reshape(b, Shape.of(b.shape().dim(0), 1));
        int rank = Math.max(a.shape().rank(), b.shape().rank());
        int[] batch = batchShape(a.shape(), b.shape(), rank);
        Node ab = Ops.matmul(Ops.broadcastTo(a, withLast2(batch, a.shape())), Ops.broadcastTo(b, withLast2(batch, b.shape())));
        int[] out = ab.shape().dims();
        List<Integer> keep = new ArrayList<>();
        for (int i = 0; i < out.length; i++) {
            boolean drop = (vecA && i == out.length - 2) || (vecB && i == out.length - 1);
            if (!drop) keep.add(out[i]);
        }
        Node result = Ops.reshape(ab, Shape.of(keep.stream().mapToInt(Integer::intValue).toArray()));
        String name = vecA && vecB ? "DotBackward0" : dim() == 2 && other.dim() == 2 ? "MmBackward0" : rank == 2 ? "MvBackward0" : "BmmBackward0";
        return derive(result, name, this, other);
    }

    /** Product of two matrices. */
    public Tensor mm(Tensor other) {
        if (dim() != 2 || other.dim() != 2) {
            throw ShapeException.inScope("mm: both arguments must be matrices, got " + shape() + " and " + other.shape());
        }
        if (size(1) != other.size(0)) {
            throw ShapeException.inScope("mm: mat1 and mat2 shapes cannot be multiplied (" + size(0) + "x" + size(1) + " and "
                    + other.size(0) + "x" + other.size(1) + "), shapes " + shape() + " and " + other.shape());
        }
        return matmul(other);
    }

    public Tensor softmax(int dim) {
        Tensor f = requireFloating("softmax");
        List<Integer> a = List.of(axis(dim));
        Node x = f.node();
        Node shifted = Ops.sub(x, Ops.max(x, a, true));
        Node e = Ops.unary(Op.UnaryFn.EXP, shifted);
        return derive(Ops.div(e, Ops.sum(e, a, true)), "SoftmaxBackward0", this);
    }

    public Tensor logSoftmax(int dim) {
        Tensor f = requireFloating("log_softmax");
        List<Integer> a = List.of(axis(dim));
        Node x = f.node();
        Node shifted = Ops.sub(x, Ops.max(x, a, true));
        Node lse = Ops.unary(Op.UnaryFn.LOG, Ops.sum(Ops.unary(Op.UnaryFn.EXP, shifted), a, true));
        return derive(Ops.sub(shifted, lse), "LogSoftmaxBackward0", this);
    }

    // ---- in place -------------------------------------------------------------------------------------------------

    public Tensor add_(Tensor other) { return inPlace(inPlaceResult(Op.BinaryFn.ADD, other, false), "AddBackward0", other); }

    public Tensor add_(Number other) { return inPlace(inPlaceResult(Op.BinaryFn.ADD, scalarLike(other), false), "AddBackward0"); }

    public Tensor sub_(Tensor other) { return inPlace(inPlaceResult(Op.BinaryFn.SUB, other, false), "SubBackward0", other); }

    public Tensor sub_(Number other) { return inPlace(inPlaceResult(Op.BinaryFn.SUB, scalarLike(other), false), "SubBackward0"); }

    public Tensor mul_(Tensor other) { return inPlace(inPlaceResult(Op.BinaryFn.MUL, other, false), "MulBackward0", other); }

    public Tensor mul_(Number other) { return inPlace(inPlaceResult(Op.BinaryFn.MUL, scalarLike(other), false), "MulBackward0"); }

    public Tensor div_(Tensor other) { return inPlace(inPlaceResult(Op.BinaryFn.DIV, other, true), "DivBackward0", other); }

    public Tensor div_(Number other) { return inPlace(inPlaceResult(Op.BinaryFn.DIV, scalarLike(other), true), "DivBackward0"); }

    public Tensor zero_() { return fill_(0); }

    /** Python's {@code t[i] = value}: fills the sub-tensor at index {@code i} of the first dimension (Kotlin: {@code t[i] = v}). */
    public Tensor set(int i, Number value) { return fillAt(new int[] {i}, value); }

    /** Python's {@code t[i, j] = value}. */
    public Tensor set(int i, int j, Number value) { return fillAt(new int[] {i, j}, value); }

    private Tensor fillAt(int[] index, Number value) {
        Shape s = node.shape();
        if (index.length > s.rank()) throw new IndexOutOfBoundsException("too many indices for a " + s.rank() + "-D tensor");
        for (int k = 0; k < index.length; k++) {
            int at = index[k] < 0 ? index[k] + s.dim(k) : index[k];
            if (at < 0 || at >= s.dim(k)) {
                throw new IndexOutOfBoundsException("index " + index[k] + " is out of bounds for dimension " + k + " with size " + s.dim(k));
            }
        }
        Tensor target = this;
        for (int i : index) target = target.select(0, i);
        target.fill_(value);
        return this;
    }

    public Tensor fill_(Number value) { return inPlace(Ops.full(value.doubleValue(), node.shape(), dtype()), "FillBackward0"); }

    /** Copies {@code src}'s values (broadcast, converted to this dtype) into this tensor. */
    public Tensor copy_(Tensor src) { return inPlace(Ops.broadcastTo(Ops.cast(src.node(), dtype()), node.shape()), "CopyBackward0", src); }

    /** {@code this fn other} computed in the promoted type and cast back, if PyTorch allows that cast. */
    private Node inPlaceResult(Op.BinaryFn fn, Tensor other, boolean trueDivision) {
        Device d = Devices.common(this, other);
        if (!d.equals(device())) throw Devices.mixed(d, device());
        DType t = promote(this, other);
        if (trueDivision && !t.isFloating()) t = DType.F32;
        if (!canCast(t, dtype())) {
            throw new IllegalArgumentException("result type " + scalarTypeName(t) + " can't be cast to the desired output type " + scalarTypeName(dtype()));
        }
        Node r = Ops.binary(fn, Ops.cast(node(), t), Ops.cast(other.node(), t));
        if (!r.shape().equals(node.shape())) {
            throw ShapeException.inScope("output with shape " + shape() + " doesn't match the broadcast shape " + new Size(r.shape()));
        }
        return Ops.cast(r, dtype());
    }

    /** PyTorch's {@code canCast}: no floating to integral, nothing but bool to bool. */
    private static boolean canCast(DType from, DType to) {
        if (from.isFloating() && !to.isFloating() && to != DType.BOOL) return false;
        return from == DType.BOOL || to != DType.BOOL;
    }

    /** PyTorch's ScalarType name ({@code Float}, {@code Long}), as its error messages print it. */
    static String scalarTypeName(DType t) {
        return switch (t) {
            case F32 -> "Float";
            case F64 -> "Double";
            case I32 -> "Int";
            case I64 -> "Long";
            case BOOL -> "Bool";
        };
    }

    /** Makes {@code result} (this tensor's shape and dtype) this tensor's value, as an in-place op. */
    private Tensor inPlace(Node result, String gradFnName, Tensor... others) {
        if (base == null) {
            write(result, gradFnName, false, false, others);
            return this;
        }
        if (viewFn.overlaps()) {
            throw new IllegalStateException("unsupported operation: more than one element of the written-to tensor refers to a single "
                    + "memory location. Please clone() the tensor before performing the operation.");
        }
        // write the view's new value back into its base: scatter it where the view reads, keep the rest
        Node old = base.node;
        Node placeholder = Node.leaf(Op.Role.INPUT, "view_base", old.shape(), old.dtype());
        Node scattered = Autodiff.gradients(List.of(viewFn.place(placeholder)), List.of(result), List.of(placeholder)).get(0);
        Node updated;
        if (viewFn.bijective()) {
            updated = scattered;
        } else {
            Node ones = Node.leaf(Op.Role.INPUT, "view_mask", old.shape(), DType.F32);
            Node count = Autodiff.gradients(List.of(viewFn.place(ones)), List.of(Ops.full(1, result.shape(), DType.F32)), List.of(ones)).get(0);
            updated = Ops.where(Ops.ne(count, Ops.zerosLike(count)), scattered, old);
        }
        base.write(updated, "CopySlices", true, viewFn.cut(), others);
        return this;
    }

    /** Replaces this non-view tensor's value, recorded by autograd unless {@code untracked} or in no-grad mode. */
    private void write(Node result, String gradFnName, boolean throughView, boolean untracked, Tensor... others) {
        syncOwner();
        boolean othersRequireGrad = false;
        for (Tensor o : others) othersRequireGrad |= o.requiresGrad();
        boolean track = !untracked && Autograd.isGradEnabled() && (requiresGrad || othersRequireGrad);
        if (track && gradFn == null && requiresGrad) {
            throw new IllegalStateException(throughView
                    ? "a view of a leaf Variable that requires grad is being used in an in-place operation."
                    : "a leaf Variable that requires grad is being used in an in-place operation.");
        }
        if (track) {
            Tensor before = new Tensor(node, device, requiresGrad, gradFn);
            List<Tensor> inputs = new ArrayList<>(List.of(before));
            inputs.addAll(List.of(others));
            node = result;
            requiresGrad = true;
            gradFn = new GradFn(gradFnName, inputs);
            version++;
        } else {
            assign(Realizer.values(result, device));
        }
        if (owner != null) ownerGeneration = owner.generation();     // this tensor now holds the newest value
    }

    // ---- Kotlin operator aliases ----------------------------------------------------------------------------------

    public Tensor plus(Tensor other) { return add(other); }

    public Tensor plus(Number other) { return add(other); }

    public Tensor minus(Tensor other) { return sub(other); }

    public Tensor minus(Number other) { return sub(other); }

    public Tensor times(Tensor other) { return mul(other); }

    public Tensor times(Number other) { return mul(other); }

    public Tensor unaryMinus() { return neg(); }

    public Tensor get(int index) { return select(0, index); }

    public Tensor get(int i, int j) { return select(0, i).select(0, j); }

    /** Compares a one-element tensor with a number (Kotlin's {@code x.sum() > 1}). */
    public int compareTo(Number other) { return Double.compare(item(), other.doubleValue()); }

    // ---- helpers --------------------------------------------------------------------------------------------------

    private Tensor unary(Op.UnaryFn fn, String gradFnName) {
        Tensor f = floating();
        return derive(Ops.unary(fn, f.node()), gradFnName, this);
    }

    private Tensor binary(Op.BinaryFn fn, Tensor other, String gradFnName) {
        DType t = promote(this, other);
        return derive(Ops.binary(fn, Ops.cast(node(), t), Ops.cast(other.node(), t)), gradFnName, this, other);
    }

    /**
     * A 0-d constant for a Python-style scalar: keeps this tensor's dtype unless a float meets a non-float tensor
     * (float32) or an integer meets a bool tensor (int64).
     */
    private Tensor scalarLike(Number value) {
        boolean floatValue = isFloatNumber(value);
        DType t = floatValue && !dtype().isFloating() ? DType.F32 : !floatValue && dtype() == DType.BOOL ? DType.I64 : dtype();
        return untracked(Ops.scalar(value.doubleValue(), t), Device.CPU).asWrappedScalar();
    }

    private Tensor asWrappedScalar() {
        wrappedScalar = true;
        return this;
    }


    /** This tensor, converted to float32 if it is not floating already (for math that needs floats). */
    private Tensor floating() { return dtype().isFloating() ? this : to(DType.F32); }

    private Tensor floatingLike(Tensor other) { return dtype().isFloating() ? this : to(other.floating().dtype()); }

    /** Sums of bool and int32 accumulate in int64, as in PyTorch. */
    private Tensor accumulable() { return dtype() == DType.BOOL || dtype() == DType.I32 ? to(DType.I64) : this; }

    private Tensor requireFloating(String op) {
        if (!dtype().isFloating()) {
            throw new IllegalArgumentException(op + "(): expected a floating point tensor, got " + dtype().torchName());
        }
        return this;
    }

    /**
     * PyTorch's promotion: the higher kind (bool < integer < floating) wins; within a kind, a dimensioned tensor beats
     * a 0-d one, which beats a wrapped number; equals pick the wider type.
     */
    static DType promote(Tensor a, Tensor b) {
        DType x = a.dtype(), y = b.dtype();
        if (x == y) return x;
        if (kind(x) != kind(y)) return kind(x) > kind(y) ? x : y;
        int pa = priority(a), pb = priority(b);
        if (pa != pb) return pa > pb ? x : y;
        return x.byteSize() >= y.byteSize() ? x : y;
    }

    private static int priority(Tensor t) { return t.wrappedScalar ? 0 : t.dim() == 0 ? 1 : 2; }

    private static int kind(DType t) { return t.isFloating() ? 2 : t == DType.BOOL ? 0 : 1; }

    int axis(int dim) {
        int r = Math.max(dim(), 1);
        int a = dim < 0 ? dim + r : dim;
        if (a < 0 || a >= r) {
            throw new IndexOutOfBoundsException("Dimension out of range (expected to be in range of [" + -r + ", " + (r - 1) + "], but got " + dim + ")");
        }
        return a;
    }

    private List<Integer> axes(int[] dims) {
        List<Integer> axes = new ArrayList<>();
        for (int d : dims) {
            int a = axis(d);
            if (axes.contains(a)) throw new IllegalArgumentException("dim " + a + " appears multiple times in the list of dims");
            axes.add(a);
        }
        axes.sort(null);
        return axes;
    }

    private Shape inferShape(int[] shape) {
        int known = 1, infer = -1;
        for (int i = 0; i < shape.length; i++) {
            if (shape[i] == -1) {
                if (infer >= 0) throw new IllegalArgumentException("only one dimension can be inferred");
                infer = i;
            } else {
                known *= shape[i];
            }
        }
        int[] out = shape.clone();
        if (infer >= 0) {
            if (known == 0 || numel() % known != 0) {
                throw ShapeException.inScope("shape '" + Arrays.toString(shape) + "' is invalid for input of size " + numel());
            }
            out[infer] = numel() / known;
        }
        if (Shape.of(out).numel() != numel()) {
            throw ShapeException.inScope("shape '" + Arrays.toString(shape) + "' is invalid for input of size " + numel());
        }
        return Shape.of(out);
    }

    private static int[] batchShape(Shape a, Shape b, int rank) {
        int[] batch = new int[rank - 2];
        for (int i = 0; i < rank - 2; i++) {
            int ia = i - (rank - a.rank()), ib = i - (rank - b.rank());
            int da = ia >= 0 ? a.dim(ia) : 1, db = ib >= 0 ? b.dim(ib) : 1;
            if (da != db && da != 1 && db != 1) {
                throw ShapeException.inScope("matmul: batch dimensions of " + a + " and " + b + " cannot be broadcast");
            }
            batch[i] = Math.max(da, db);
        }
        return batch;
    }

    private static Shape withLast2(int[] batch, Shape s) {
        int[] out = Arrays.copyOf(batch, batch.length + 2);
        out[batch.length] = s.dim(s.rank() - 2);
        out[batch.length + 1] = s.dim(s.rank() - 1);
        return Shape.of(out);
    }
}
