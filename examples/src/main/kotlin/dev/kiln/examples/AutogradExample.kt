package dev.kiln.examples

import dev.kiln.dsl.Kiln.rand
import dev.kiln.dsl.Kiln.randn
import dev.kiln.dsl.Kiln.tensor
import dev.kiln.dsl.times

/**
 * PyTorch's "A Gentle Introduction to torch.autograd" (seed 001): Q = 3a³ − b², its vector-Jacobian product,
 * how requires_grad propagates through the DAG, and freezing tensors out of the gradient computation.
 */
class AutogradExample : Example {
    override fun name() = "autograd"

    override fun description() = "seed 001: autograd on Q = 3a^3 - b^2, requires_grad propagation, freezing"

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
        println("== Frozen parameters")
        // a tiny two-layer model: freeze the first layer, train only the second
        val w1 = randn(4, 8)                       // frozen: requires_grad stays false
        val w2 = randn(8, 2).requiresGrad_(true)   // the new "classifier"
        val input = randn(3, 4)
        val out = (input.mm(w1).relu().mm(w2)).sum()
        out.backward()
        println("w1 (frozen) requires_grad = ${w1.requiresGrad()}, w1.grad = ${w1.grad()}")
        println("w2 (trained) grad shape = ${w2.grad().shape()}")
    }
}
