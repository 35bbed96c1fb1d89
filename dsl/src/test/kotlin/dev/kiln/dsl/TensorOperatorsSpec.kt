package dev.kiln.dsl

import dev.kiln.ir.DType
import io.kotest.assertions.throwables.shouldThrow
import io.kotest.core.spec.style.FunSpec
import io.kotest.matchers.booleans.shouldBeFalse
import io.kotest.matchers.booleans.shouldBeTrue
import io.kotest.matchers.doubles.plusOrMinus
import io.kotest.matchers.nulls.shouldBeNull
import io.kotest.matchers.shouldBe

private fun Tensor.values(): List<Double> = toDoubleArray().toList()

private infix fun Tensor.shouldHaveValues(expected: List<Double>) {
    val actual = toDoubleArray()
    actual.size shouldBe expected.size
    for (i in expected.indices) actual[i] shouldBe (expected[i] plusOrMinus 1e-6)
}

/** Kotlin's operators on [Tensor] and the `noGrad { }` helper, checked against the values PyTorch gives. */
class TensorOperatorsSpec : FunSpec({

    val a = Kiln.tensor(1f, 2f, 3f)
    val b = Kiln.tensor(10f, 20f, 30f)

    test("a + b and a - b are elementwise") {
        (a + b) shouldHaveValues listOf(11.0, 22.0, 33.0)
        (b - a) shouldHaveValues listOf(9.0, 18.0, 27.0)
        (a + 1) shouldHaveValues listOf(2.0, 3.0, 4.0)
        (a - 0.5) shouldHaveValues listOf(0.5, 1.5, 2.5)
    }

    test("a * 2f and 2f * a") {
        (a * 2f) shouldHaveValues listOf(2.0, 4.0, 6.0)
        (2f * a) shouldHaveValues listOf(2.0, 4.0, 6.0)
        (a * b) shouldHaveValues listOf(10.0, 40.0, 90.0)
        (a * 2f).dtype() shouldBe DType.F32
    }

    test("scalars on the left: 1 - a, 0.5 + a, 6 / a") {
        (1 - a) shouldHaveValues listOf(0.0, -1.0, -2.0)
        (0.5 + a) shouldHaveValues listOf(1.5, 2.5, 3.5)
        (6 / a) shouldHaveValues listOf(6.0, 3.0, 2.0)
    }

    test("a / 2 is true division, also for integer tensors") {
        (a / 2) shouldHaveValues listOf(0.5, 1.0, 1.5)
        val i = Kiln.tensor(1L, 2L)
        (i / 2).dtype() shouldBe DType.F32
        (i / 2) shouldHaveValues listOf(0.5, 1.0)
        (b / a) shouldHaveValues listOf(10.0, 10.0, 10.0)
    }

    test("-a") {
        (-a) shouldHaveValues listOf(-1.0, -2.0, -3.0)
    }

    test("a[i] selects along the first dimension") {
        a[1].item() shouldBe 2.0
        a[1].dim() shouldBe 0
        a[-1].item() shouldBe 3.0
        val m = Kiln.arange(6).reshape(2, 3)
        m[1].toLongArray().toList() shouldBe listOf(3L, 4L, 5L)
        m[1, 2].item() shouldBe 5.0
        shouldThrow<IndexOutOfBoundsException> { a[3] }
    }

    test("x.abs().sum() > 1 compares a one-element tensor with a number") {
        val x = Kiln.tensor(-0.75f, 0.5f)
        (x.abs().sum() > 1).shouldBeTrue()
        (x.abs().sum() < 1).shouldBeFalse()
        (x.sum() < 0).shouldBeTrue()
        (x.abs().sum() >= 1.25).shouldBeTrue()
        shouldThrow<IllegalStateException> { x > 0 }
    }

    test("operators record autograd like the named methods") {
        val x = Kiln.tensor(2f, 3f).requiresGrad_(true)
        val y = 3 * x * x - x / 2 + 1
        y.gradFn()!!.name() shouldBe "AddBackward0"
        (1 - x).gradFn()!!.name() shouldBe "RsubBackward1"
        (-x).gradFn()!!.name() shouldBe "NegBackward0"
        y.sum().backward()
        // d/dx (3x² − x/2 + 1) = 6x − 0.5
        x.grad() shouldHaveValues listOf(11.5, 17.5)
    }

    test("noGrad { } returns its value and records nothing") {
        val w = Kiln.tensor(1f, 2f).requiresGrad_(true)
        val doubled = noGrad { w * 2 }
        doubled.requiresGrad().shouldBeFalse()
        doubled.gradFn().shouldBeNull()
        doubled shouldHaveValues listOf(2.0, 4.0)
        Autograd.isGradEnabled().shouldBeTrue()
        (w * 2).requiresGrad().shouldBeTrue()
        val n: Int = noGrad {
            Autograd.isGradEnabled().shouldBeFalse()
            42
        }
        n shouldBe 42
    }

    test("noGrad { } restores grad mode after an exception") {
        shouldThrow<IllegalStateException> { noGrad<Unit> { throw IllegalStateException("boom") } }
        Autograd.isGradEnabled().shouldBeTrue()
    }

    test("in-place update of a parameter inside noGrad { }") {
        val w = Kiln.tensor(1f, 2f).requiresGrad_(true)
        (w * w).sum().backward()
        noGrad { w.sub_(w.grad().mul(0.1)) }
        w shouldHaveValues listOf(0.8, 1.6)
        w.isLeaf().shouldBeTrue()
        shouldThrow<IllegalStateException> { w.sub_(1) }.message shouldBe
            "a leaf Variable that requires grad is being used in an in-place operation."
    }

    test("fit y = 3x + 2 with hand-written SGD") {
        val xs = Kiln.linspace(-1.0, 1.0, 32)
        val ys = 3f * xs + 2
        val w = Kiln.scalarTensor(0.0, DType.F32).requiresGrad_(true)
        val c = Kiln.scalarTensor(0.0, DType.F32).requiresGrad_(true)
        val lr = 0.1
        var firstLoss = Double.NaN
        var lastLoss = Double.NaN
        repeat(200) { step ->
            val pred = w * xs + c
            val loss = ((pred - ys) * (pred - ys)).mean()
            if (step == 0) firstLoss = loss.item()
            lastLoss = loss.item()
            loss.backward()
            noGrad {
                w.sub_(w.grad() * lr)
                c.sub_(c.grad() * lr)
                w.grad().zero_()
                c.grad().zero_()
            }
        }
        w.item() shouldBe (3.0 plusOrMinus 1e-2)
        c.item() shouldBe (2.0 plusOrMinus 1e-3)
        (lastLoss < firstLoss * 1e-4).shouldBeTrue()
        w.requiresGrad().shouldBeTrue()
        w.isLeaf().shouldBeTrue()
        w.dim() shouldBe 0
    }
})
