package dev.kiln.dsl.nn

import dev.kiln.dsl.F
import dev.kiln.dsl.Kiln
import dev.kiln.dsl.Tensor
import dev.kiln.dsl.noGrad
import dev.kiln.dsl.times
import dev.kiln.dsl.minus
import io.kotest.assertions.throwables.shouldThrow
import io.kotest.core.spec.style.FunSpec
import io.kotest.matchers.booleans.shouldBeTrue
import io.kotest.matchers.collections.shouldContainExactly
import io.kotest.matchers.doubles.plusOrMinus
import io.kotest.matchers.doubles.shouldBeLessThan
import io.kotest.matchers.doubles.shouldBeLessThanOrEqual
import io.kotest.matchers.nulls.shouldBeNull
import io.kotest.matchers.nulls.shouldNotBeNull
import io.kotest.matchers.shouldBe
import io.kotest.matchers.string.shouldContain
import io.kotest.matchers.types.shouldBeSameInstanceAs
import kotlin.math.abs

/** The model DSL from Kotlin: operators, the `sequential { }` builder, and the nn-toolbox tutorial's custom modules. */
class KotlinModelSpec : FunSpec({

    fun Tensor.dims(): List<Int> = shape.toArray().toList()

    context("the sequential builder") {
        test("prints like PyTorch's nn.Sequential") {
            val net = sequential { +Linear(4, 8); +ReLU(); +Linear(8, 1) }
            net.toString() shouldBe "Sequential(\n" +
                "  (0): Linear(in_features=4, out_features=8, bias=True)\n" +
                "  (1): ReLU()\n" +
                "  (2): Linear(in_features=8, out_features=1, bias=True)\n" +
                ")"
            net.namedParameters().keys.toList() shouldContainExactly listOf("0.weight", "0.bias", "2.weight", "2.bias")
            net(Kiln.rand(2, 4)).dims() shouldBe listOf(2, 1)
            net.size() shouldBe 3
        }

        test("module(name, m) names a child and + keeps counting positions") {
            val net = sequential {
                +Linear(4, 8)
                module("act", ReLU())
                module("out", Linear(8, 1))
            }
            net.toString() shouldBe "Sequential(\n" +
                "  (0): Linear(in_features=4, out_features=8, bias=True)\n" +
                "  (act): ReLU()\n" +
                "  (out): Linear(in_features=8, out_features=1, bias=True)\n" +
                ")"
            net.stateDict().keys.toList() shouldContainExactly listOf("0.weight", "0.bias", "out.weight", "out.bias")
        }

        test("nested blocks nest") {
            val net = sequential {
                +sequential { +Linear(4, 8); +ReLU() }
                +Linear(8, 1)
            }
            net.toString() shouldBe "Sequential(\n" +
                "  (0): Sequential(\n" +
                "    (0): Linear(in_features=4, out_features=8, bias=True)\n" +
                "    (1): ReLU()\n" +
                "  )\n" +
                "  (1): Linear(in_features=8, out_features=1, bias=True)\n" +
                ")"
            net.namedParameters().keys.toList() shouldContainExactly listOf("0.0.weight", "0.0.bias", "1.weight", "1.bias")
            (net[0][0] as Linear).weight shouldBeSameInstanceAs net.getParameter("0.0.weight")
        }
    }

    context("the nn-toolbox tutorial's modules") {
        val x = Kiln.rand(2, 20)

        test("MLP") {
            val net = MLP()
            net.toString() shouldBe "MLP(\n" +
                "  (hidden): Linear(in_features=20, out_features=256, bias=True)\n" +
                "  (out): Linear(in_features=256, out_features=10, bias=True)\n" +
                ")"
            net(x).dims() shouldBe listOf(2, 10)
            net.parameters().size shouldBe 4
        }

        test("CenteredLayer has no parameters and centres its input") {
            val layer = CenteredLayer()
            layer.toString() shouldBe "CenteredLayer()"
            layer.parameters().size shouldBe 0
            layer(Kiln.tensor(1f, 2f, 3f, 4f, 5f)).toDoubleArray().toList() shouldBe listOf(-2.0, -1.0, 0.0, 1.0, 2.0)
            val net = Sequential(Linear(8, 128), CenteredLayer())
            net(Kiln.rand(4, 8)).mean().item() shouldBe (0.0 plusOrMinus 1e-6)
        }

        test("MyLinear has its own parameters") {
            val layer = MyLinear(5, 3)
            layer.toString() shouldBe "MyLinear()"
            layer.namedParameters().mapValues { it.value.dims() } shouldBe mapOf("weight" to listOf(5, 3), "bias" to listOf(3))
            val y = layer(Kiln.rand(2, 5))
            y.dims() shouldBe listOf(2, 3)
            y.toDoubleArray().all { it >= 0 }.shouldBeTrue()
            val net = Sequential(MyLinear(64, 8), MyLinear(8, 1))
            net(Kiln.rand(2, 64)).dims() shouldBe listOf(2, 1)
        }

        test("NestMLP") {
            val net = NestMLP()
            net.namedParameters().keys.toList() shouldContainExactly
                listOf("net.0.weight", "net.0.bias", "net.2.weight", "net.2.bias", "linear.weight", "linear.bias")
            net(x).dims() shouldBe listOf(2, 16)
        }

        test("FixedHiddenMLP: a constant tensor is no parameter, the shared layer is, and the while loop runs eagerly") {
            val net = FixedHiddenMLP()
            net.toString() shouldBe "FixedHiddenMLP(\n  (linear): Linear(in_features=20, out_features=20, bias=True)\n)"
            net.namedParameters().keys.toList() shouldContainExactly listOf("linear.weight", "linear.bias")
            val y = net(x)
            y.dim() shouldBe 0
            abs(y.item()) shouldBeLessThanOrEqual 1.0
            y.backward()
            net.linear.weight.grad.shouldNotBeNull()
        }

        test("the chimera prints and runs like PyTorch's") {
            val chimera = Sequential(NestMLP(), Linear(16, 20), FixedHiddenMLP())
            chimera.toString() shouldBe "Sequential(\n" +
                "  (0): NestMLP(\n" +
                "    (net): Sequential(\n" +
                "      (0): Linear(in_features=20, out_features=64, bias=True)\n" +
                "      (1): ReLU()\n" +
                "      (2): Linear(in_features=64, out_features=32, bias=True)\n" +
                "      (3): ReLU()\n" +
                "    )\n" +
                "    (linear): Linear(in_features=32, out_features=16, bias=True)\n" +
                "  )\n" +
                "  (1): Linear(in_features=16, out_features=20, bias=True)\n" +
                "  (2): FixedHiddenMLP(\n" +
                "    (linear): Linear(in_features=20, out_features=20, bias=True)\n" +
                "  )\n" +
                ")"
            chimera.stateDict().keys.toList() shouldContainExactly listOf(
                "0.net.0.weight", "0.net.0.bias", "0.net.2.weight", "0.net.2.bias", "0.linear.weight", "0.linear.bias",
                "1.weight", "1.bias", "2.linear.weight", "2.linear.bias",
            )
            val y = chimera(x)
            y.dim() shouldBe 0
            abs(y.item()) shouldBeLessThanOrEqual 1.0
        }
    }

    context("operators, gradients and training") {
        test("operators on tensors and modules") {
            val a = Kiln.tensor(1f, 2f, 3f)
            val b = Kiln.tensor(0.5f, 0.5f, 0.5f)
            (a - b).toDoubleArray().toList() shouldBe listOf(0.5, 1.5, 2.5)
            (2f * a).toDoubleArray().toList() shouldBe listOf(2.0, 4.0, 6.0)
            (1 - a).toDoubleArray().toList() shouldBe listOf(0.0, -1.0, -2.0)
            (a * b + a).toDoubleArray().toList() shouldBe listOf(1.5, 3.0, 4.5)
            val net = sequential { +Linear(3, 2) }
            net(a).dims() shouldBe listOf(2)
            net[0] shouldBeSameInstanceAs net.getSubmodule("0")
        }

        test("frozen parameters (requiresGrad = false) get no gradient") {
            val net = sequential { +Linear(3, 4); +ReLU(); +Linear(4, 1) }
            val first = net[0] as Linear
            first.weight.requiresGrad = false
            first.weight.requiresGrad shouldBe false
            net(Kiln.randn(5, 3)).sum().backward()
            first.weight.grad.shouldBeNull()
            first.bias.grad.shouldNotBeNull()
            (net[2] as Linear).weight.grad.shouldNotBeNull()
            net.zeroGrad()
            net.parameters().forEach { it.grad.shouldBeNull() }
        }

        test("a custom Kotlin module trains to a lower loss with operators and manual SGD") {
            Kiln.manualSeed(21)
            val x = 2f * Kiln.rand(64, 3) - 1
            val y = x.matmul(Kiln.tensor(1.5f, -2f, 0.5f).reshape(3, 1)) + 0.25
            Kiln.manualSeed(22)
            val net = Regressor()
            net.namedParameters().keys.toList() shouldContainExactly
                listOf("features.weight", "features.bias", "head.0.weight", "head.0.bias")
            val lr = 0.05
            var initial = Double.NaN
            var last = Double.NaN
            for (step in 0 until 300) {
                net.zeroGrad()
                val err = net(x) - y
                val loss = (err * err).mean()
                loss.backward()
                noGrad { for (p in net.parameters()) p.sub_(lr * p.grad!!) }
                if (step == 0) initial = loss.item()
                last = loss.item()
            }
            last shouldBeLessThan 0.2 * initial
            last shouldBeLessThan 0.05
        }

        test("the chimera trains too, through its data-dependent control flow") {
            Kiln.manualSeed(31)
            val chimera = Sequential(NestMLP(), Linear(16, 20), FixedHiddenMLP())
            val x = Kiln.rand(4, 20)
            val target = 0.5
            fun lossOf(): Tensor { val d = chimera(x) - target; return d * d }
            val initial = lossOf().item()
            repeat(30) {
                chimera.zeroGrad()
                lossOf().backward()
                noGrad { for (p in chimera.parameters()) p.sub_(0.1 * p.grad!!) }
            }
            lossOf().item() shouldBeLessThan initial
        }

        test("shape errors name the module path") {
            val net = sequential { +Linear(4, 8); +ReLU(); +Linear(9, 2) }
            val e = shouldThrow<dev.kiln.ir.ShapeException> { net(Kiln.randn(3, 4)) }
            e.message!! shouldContain "(in 2 (Linear 9→2))"
            e.message!! shouldContain "torch.Size([3, 8])"
        }
    }
}) {
    /** The tutorial's multilayer perceptron: a hidden layer of 256 ReLU units. */
    class MLP : Module() {
        val hidden = Linear(20, 256)
        val out = Linear(256, 10)

        override fun forward(input: Tensor): Tensor = out(F.relu(hidden(input)))
    }

    /** A layer without parameters: X - X.mean(). */
    class CenteredLayer : Module() {
        override fun forward(input: Tensor): Tensor = input - input.mean()
    }

    /** A layer with its own parameters. */
    class MyLinear(inUnits: Int, units: Int) : Module() {
        val weight = Parameter(Kiln.randn(inUnits, units))
        val bias = Parameter(Kiln.randn(units))

        override fun forward(input: Tensor): Tensor = F.relu(input.matmul(weight) + bias)
    }

    class NestMLP : Module() {
        val net = sequential { +Linear(20, 64); +ReLU(); +Linear(64, 32); +ReLU() }
        val linear = Linear(32, 16)

        override fun forward(input: Tensor): Tensor = linear(net(input))
    }

    /** Python's `while X.abs().sum() > 1: X /= 2`, with a constant weight and a layer used twice. */
    class FixedHiddenMLP : Module() {
        private val randWeight = Kiln.rand(20, 20)
        val linear = Linear(20, 20)

        override fun forward(input: Tensor): Tensor {
            var x = linear(input)
            x = F.relu(x.matmul(randWeight) + 1)
            x = linear(x)
            while (x.abs().sum() > 1) x /= 2
            return x.sum()
        }
    }

    /** A custom layer followed by a built one. */
    class Regressor : Module() {
        val features = Linear(3, 16)
        val head = sequential { +Linear(16, 1) }

        override fun forward(input: Tensor): Tensor = head(F.tanh(features(input)))
    }
}
