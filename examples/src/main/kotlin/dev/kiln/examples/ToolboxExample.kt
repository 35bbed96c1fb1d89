package dev.kiln.examples

import dev.kiln.dsl.F
import dev.kiln.dsl.Kiln.rand
import dev.kiln.dsl.Tensor
import dev.kiln.dsl.nn.Init
import dev.kiln.dsl.nn.Linear
import dev.kiln.dsl.nn.Module
import dev.kiln.dsl.nn.Parameter
import dev.kiln.dsl.nn.ReLU
import dev.kiln.dsl.nn.Sequential
import dev.kiln.dsl.nn.sequential
import dev.kiln.dsl.noGrad
import dev.kiln.dsl.times

/** The multilayer perceptron of the nn-toolbox tutorial: a hidden layer of 256 ReLU units. */
class MLP : Module() {
    val hidden = Linear(20, 256)
    val out = Linear(256, 10)

    override fun forward(input: Tensor): Tensor = out(F.relu(hidden(input)))
}

/** Sequential written by hand: children added under positional names. */
class MySequential(vararg modules: Module) : Module() {
    init {
        modules.forEachIndexed { i, m -> addModule(i.toString(), m) }
    }

    override fun forward(input: Tensor): Tensor = children().fold(input) { x, m -> m(x) }
}

/** Data-dependent control flow: Python's `while X.abs().sum() > 1: X /= 2`. */
class FixedHiddenMLP : Module() {
    private val randWeight = rand(20, 20)          // constant: not a parameter, never updated
    val linear = Linear(20, 20)

    override fun forward(input: Tensor): Tensor {
        var x = linear(input)
        x = F.relu(x.mm(randWeight) + 1)
        x = linear(x)                                // the same layer again: its parameters are shared
        while (x.abs().sum() > 1) x /= 2
        return x.sum()
    }
}

class NestMLP : Module() {
    val net = sequential { +Linear(20, 64); +ReLU(); +Linear(64, 32); +ReLU() }
    val linear = Linear(32, 16)

    override fun forward(input: Tensor): Tensor = linear(net(input))
}

/** A layer with no parameters. */
class CenteredLayer : Module() {
    override fun forward(input: Tensor): Tensor = input - input.mean()
}

/** A layer with its own parameters. */
class MyLinear(inUnits: Int, units: Int) : Module() {
    val weight = Parameter(dev.kiln.dsl.Kiln.randn(inUnits, units))
    val bias = Parameter(dev.kiln.dsl.Kiln.randn(units))

    override fun forward(input: Tensor): Tensor = F.relu(input.matmul(weight) + bias)
}

/** PyTorch's nn-toolbox tutorial (seed 004, sections 2–4): layers and blocks, parameters, initialisation, custom layers. */
class ToolboxExample : Example {
    override fun name() = "toolbox"

    override fun description() = "seed 004 §2–4: Sequential three ways, custom blocks, parameters, init, sharing"

    override fun run(args: Array<String>) {
        dev.kiln.dsl.Kiln.manualSeed(4)
        val x = rand(2, 20)

        section("Layers and blocks: Sequential three ways")
        val net = Sequential(Linear(20, 256), ReLU(), Linear(256, 10))
        println(net(x).shape)
        val built = sequential { +Linear(20, 256); +ReLU(); +Linear(256, 10) }
        println(built)
        val named = Sequential(linkedMapOf("hidden" to Linear(20, 256), "act" to ReLU(), "output" to Linear(256, 10)))
        println(named)
        println(MySequential(Linear(20, 256), ReLU(), Linear(256, 10))(x).shape)
        println("MLP: " + MLP()(x).shape)

        section("Custom forward code and nesting")
        println("FixedHiddenMLP: " + FixedHiddenMLP()(x))
        val chimera = Sequential(NestMLP(), Linear(16, 20), FixedHiddenMLP())
        println("chimera: " + chimera(x))

        section("Parameter access")
        val p = sequential { +Linear(4, 8); +ReLU(); +Linear(8, 1) }
        val input = rand(2, 4)
        println(p(input))
        println((p[2] as Linear).stateDict().keys)
        println((p[2] as Linear).bias)
        println("net[2].weight.grad == None: ${(p[2] as Linear).weight.grad == null}")
        println(p.namedParameters().map { (name, param) -> name to param.shape })
        println(p.stateDict()["2.bias"])

        section("Parameters of nested blocks")
        fun block1() = sequential { +Linear(4, 8); +ReLU(); +Linear(8, 4); +ReLU() }
        fun block2() = Sequential().also { s -> for (i in 0 until 4) s.addModule("block $i", block1()) }
        val rgnet = Sequential(block2(), Linear(4, 1))
        println(rgnet(input))
        println(rgnet)
        println((rgnet[0][1][0] as Linear).bias)                  // rgnet[0][1][0].bias
        println(rgnet.getParameter("0.block 1.0.bias") === (rgnet[0][1][0] as Linear).bias)

        section("Built-in initialisation")
        p.apply { m -> if (m is Linear) { Init.normal_(m.weight, 0.0, 0.01); Init.zeros_(m.bias) } }
        println("${(p[0] as Linear).weight.detach()[0]} ${(p[0] as Linear).bias.detach()[0]}")
        p.apply { m -> if (m is Linear) { Init.constant_(m.weight, 1.0); Init.zeros_(m.bias) } }
        println("${(p[0] as Linear).weight.detach()[0]} ${(p[0] as Linear).bias.detach()[0]}")
        Init.xavierUniform_((p[0] as Linear).weight)
        Init.constant_((p[2] as Linear).weight, 42.0)
        println((p[0] as Linear).weight.detach()[0])
        println((p[2] as Linear).weight.detach())

        section("Custom initialisation: U(-10, 10), keeping only |w| >= 5")
        p.apply { m ->
            if (m is Linear) {
                val (name, param) = m.namedParameters().entries.first()
                println("Init $name ${param.shape}")
                Init.uniform_(m.weight, -10.0, 10.0)
                noGrad { m.weight.mul_(m.weight.abs().ge(5)) }
            }
        }
        println((p[0] as Linear).weight.detach().slice(0, 0, 2, 1))
        noGrad { (p[0] as Linear).weight.add_(1); (p[0] as Linear).weight[0, 0] = 42 }
        println((p[0] as Linear).weight.detach()[0])

        section("Tied parameters")
        val shared = Linear(8, 8)
        val tied = Sequential(Linear(4, 8), ReLU(), shared, ReLU(), shared, ReLU(), Linear(8, 1))
        tied(input)
        println((tied[2] as Linear).weight.get(0) eqAll (tied[4] as Linear).weight.get(0))
        noGrad { (tied[2] as Linear).weight[0, 0] = 100 }
        println((tied[2] as Linear).weight[0] eqAll (tied[4] as Linear).weight[0])
        println("same object: ${(tied[2] as Linear).weight === (tied[4] as Linear).weight}")
        tied.zeroGrad()
        tied(input).sum().backward()
        // untie: two separate copies of the shared layer, same weights; their gradients must add up to the shared one's
        val first = Linear(8, 8).also { it.loadStateDict(shared.stateDict()) }
        val second = Linear(8, 8).also { it.loadStateDict(shared.stateDict()) }
        val untied = Sequential(tied[0], ReLU(), first, ReLU(), second, ReLU(), tied[6])
        untied(input).sum().backward()
        val gap = (first.weight.grad + second.weight.grad - shared.weight.grad).abs().max().item()
        println("shared.weight.grad == grad(first use) + grad(second use): ${gap < 1e-6} (max difference $gap)")
        println("parameters: ${tied.parameters().size} (the shared layer counted once), state_dict entries: ${tied.stateDict().size}")

        section("Custom layers")
        val centered = CenteredLayer()
        println(centered(dev.kiln.dsl.Kiln.tensor(1f, 2f, 3f, 4f, 5f)))
        val withCentered = sequential { +Linear(8, 128); +CenteredLayer() }
        println(withCentered(rand(4, 8)).mean())                        // ≈ 0
        val linear = MyLinear(5, 3)
        println(linear.weight)
        println(linear(rand(2, 5)))
        val myNet = sequential { +MyLinear(64, 8); +MyLinear(8, 1) }
        println(myNet(rand(2, 64)))
    }

    private fun section(title: String) = println("\n== $title")

    private infix fun Tensor.eqAll(other: Tensor): Tensor = eq(other)
}
