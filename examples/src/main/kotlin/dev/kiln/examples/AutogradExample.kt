package dev.kiln.examples

import dev.kiln.dsl.F
import dev.kiln.dsl.Kiln.rand
import dev.kiln.dsl.Kiln.tensor
import dev.kiln.dsl.nn.Linear
import dev.kiln.dsl.nn.ReLU
import dev.kiln.dsl.nn.Sequential
import dev.kiln.dsl.optim.SGD
import dev.kiln.dsl.times

/**
 * PyTorch's "A Gentle Introduction to torch.autograd" (seed 001): Q = 3a³ − b², its vector-Jacobian product,
 * how requires_grad propagates through the DAG, and freezing tensors out of the gradient computation.
 */
class AutogradExample : Example {
    override fun name() = "autograd"

    override fun description() = "seed 001: autograd on Q = 3a^3 - b^2, requires_grad propagation, freezing and fine-tuning"

    override fun run(args: Array<String>) {
        println("== Differentiation in autograd")
        val a = tensor(2f, 3f).requiresGrad_(true)
        val b = tensor(6f, 4f).requiresGrad_(true)
        val q = 3f * a.pow(3) - b.pow(2)
        println("a = $a")
        println("b = $b")
        println("Q = 3*a**3 - b**2 = $q")

        // Q is a vector: backward needs the gradient of some scalar L with respect to Q, here dL/dQ = 1
        val externalGrad = tensor(1f, 1f)
        q.backward(externalGrad)
        println("a.grad = ${a.grad()}")
        println("b.grad = ${b.grad()}")
        println("9*a**2 == a.grad: ${(9f * a.pow(2)).eq(a.grad())}")
        println("-2*b == b.grad: ${(-2f * b).eq(b.grad())}")

        println()
        println("== The computational graph")
        println("Q.grad_fn = ${q.gradFn()}")
        println("Q.grad_fn.next_functions = ${q.gradFn().nextFunctions()}")
        println("a.is_leaf = ${a.isLeaf()}, Q.is_leaf = ${q.isLeaf()}")

        println()
        println("== Exclusion from the DAG")
        val x = rand(5, 5)
        val y = rand(5, 5)
        val z = rand(5, 5).requiresGrad_(true)
        println("Does `a` require gradients?: ${(x + y).requiresGrad()}")
        println("Does `b` require gradients?: ${(x + z).requiresGrad()}")

        println()
        println("== Frozen parameters: fine-tuning only a new classifier")
        // the tutorial freezes a pretrained resnet18 and replaces its fc layer; the same steps on a small model:
        val model = Sequential(Linear(16, 32), ReLU(), Linear(32, 1000))
        for (p in model.parameters()) p.requiresGrad = false          // freeze every parameter
        model.addModule("2", Linear(32, 10))                          // a new, unfrozen classifier replaces the last layer
        val optimizer = SGD((model[2] as Linear).parameters(), 1e-2, 0.9)   // optimize only the classifier
        val images = rand(4, 16)
        val labels = tensor(1L, 0L, 9L, 3L)
        optimizer.zeroGrad()
        F.crossEntropy(model(images), labels).backward()
        optimizer.step()
        for ((name, p) in model.namedParameters()) {
            println("$name requires_grad=${p.requiresGrad} grad=${if (p.grad == null) "None" else p.grad.shape.toString()}")
        }
    }
}
