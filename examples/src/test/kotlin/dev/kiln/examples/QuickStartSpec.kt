package dev.kiln.examples

import dev.kiln.dsl.F
import dev.kiln.dsl.Kiln
import dev.kiln.dsl.Kiln.tensor
import dev.kiln.dsl.Tensor
import dev.kiln.dsl.TrainingStep
import dev.kiln.dsl.nn.Linear
import dev.kiln.dsl.nn.Module
import dev.kiln.dsl.nn.ReLU
import dev.kiln.dsl.nn.sequential
import dev.kiln.dsl.optim.Adam
import dev.kiln.dsl.times
import io.kotest.core.spec.style.FunSpec
import io.kotest.matchers.doubles.shouldBeLessThan
import io.kotest.matchers.shouldBe

/** The README's Kotlin quick start, compiled and run (ReadmeTest checks the README shows exactly this code). */
class QuickStartSpec : FunSpec({
    test("autograd") {
        // quick start: autograd
        val a = tensor(2f, 3f).requiresGrad_(true)
        val b = tensor(6f, 4f).requiresGrad_(true)
        val q = 3f * a.pow(3) - b.pow(2)
        q.backward(tensor(1f, 1f))
        println(a.grad)          // tensor([36., 81.])
        println(b.grad)          // tensor([-12.,  -8.])
        // end
        a.grad.toString() shouldBe "tensor([36., 81.])"
        b.grad.toString() shouldBe "tensor([-12.,  -8.])"
    }

    test("a model and a compiled training step") {
        // quick start: training
        class Net : Module() {
            val fc1 = Linear(4, 32)
            val fc2 = Linear(32, 1)
            override fun forward(input: Tensor) = fc2(F.relu(fc1(input)))
        }
        val net = Net()
        val x = Kiln.randn(64, 4)
        val y = x.sum(1, true)                       // learn y = x0 + x1 + x2 + x3
        val step = TrainingStep.compile(net, F::mseLoss, Adam(net.parameters(), 0.01), x, y)
        repeat(300) { step.step(x, y) }              // forward, loss, backward, update: one compiled program
        println(F.mseLoss(net(x), y))                // close to 0
        val mlp = sequential { +Linear(4, 8); +ReLU(); +Linear(8, 1) }
        println(mlp)
        // end
        F.mseLoss(net(x), y).item() shouldBeLessThan 0.05
        mlp.parameters().size shouldBe 4
    }
})
