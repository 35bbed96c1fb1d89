package dev.kiln.examples

import dev.kiln.dsl.F
import dev.kiln.dsl.Generator
import dev.kiln.dsl.Kiln
import dev.kiln.dsl.Tensor
import dev.kiln.dsl.nn.Linear
import dev.kiln.dsl.nn.MSELoss
import dev.kiln.dsl.nn.Module
import dev.kiln.dsl.optim.Adam
import dev.kiln.dsl.optim.Optimizer
import dev.kiln.dsl.optim.RMSprop
import dev.kiln.dsl.optim.SGD
import dev.kiln.dsl.times
import dev.kiln.examples.plot.LinePlot
import dev.kiln.ir.DType
import java.nio.file.Path

/**
 * PyTorch's optimizer comparison (seed 004, section 5): the same small regression net trained on y = x² + noise
 * by four optimizers side by side — plain SGD, SGD with momentum, RMSprop and Adam — with shuffled mini-batches,
 * recording every step's loss and plotting the four loss curves into one PNG.
 *
 * Arguments: `[--out DIR]` (default `runs/optimizers`), `[--epochs N]` (default 12), `[--points N]` (default 1000).
 */
class OptimizersExample : Example {
    override fun name() = "optimizers"

    override fun description() = "seed 004 §5: SGD, Momentum, RMSprop and Adam on y = x^2 + noise; loss curves PNG"

    /** The tutorial's Net: one hidden layer of 20 ReLU units, one output. */
    class Net : Module() {
        val hidden = Linear(1, 20)
        val predict = Linear(20, 1)

        override fun forward(input: Tensor): Tensor = predict(F.relu(hidden(input)))
    }

    override fun run(args: Array<String>) {
        var out = Path.of("runs", "optimizers")
        var epochs = 12
        var points = 1000
        var i = 0
        while (i < args.size) {
            when (args[i]) {
                "--out" -> out = Path.of(TwoLayerExample.value(args, ++i, "--out"))
                "--epochs" -> epochs = TwoLayerExample.value(args, ++i, "--epochs").toInt()
                "--points" -> points = TwoLayerExample.value(args, ++i, "--points").toInt()
                else -> throw IllegalArgumentException("optimizers: unknown argument '${args[i]}' (expected --out DIR, --epochs N, --points N)")
            }
            i++
        }

        Kiln.manualSeed(4)
        val lr = 0.01
        val batchSize = 32

        // Fake data: x in [-1, 1] as a column, y = x² plus a little noise
        val x = Kiln.linspace(-1.0, 1.0, points).unsqueeze(1)          // torch.unsqueeze(torch.linspace(-1, 1, 1000), dim=1)
        val y = x.pow(2) + 0.1 * Kiln.randn(*x.shape().toArray())     // x.pow(2) + 0.1*torch.normal(torch.zeros(*x.size()))
        val loader = DataLoader(x, y, batchSize, shuffle = Generator(4))

        // One network per optimizer, all starting from the same weights
        val netSgd = Net()
        val netMomentum = Net().also { it.loadStateDict(netSgd.stateDict()) }
        val netRmsprop = Net().also { it.loadStateDict(netSgd.stateDict()) }
        val netAdam = Net().also { it.loadStateDict(netSgd.stateDict()) }
        val nets = listOf(netSgd, netMomentum, netRmsprop, netAdam)

        val optimizers: List<Optimizer> = listOf(
            SGD(netSgd.parameters(), lr),
            SGD(netMomentum.parameters(), lr, 0.9),
            RMSprop(netRmsprop.parameters(), lr, 0.9),
            Adam(netAdam.parameters(), lr, 0.9, 0.99),
        )
        val labels = listOf("SGD", "Momentum", "RMSprop", "Adam")
        val lossFunc = MSELoss()
        val lossesHis = List(4) { mutableListOf<Double>() }       // the loss of every step, per optimizer

        val start = System.nanoTime()
        for (epoch in 0 until epochs) {
            println("Epoch:  $epoch")
            for ((bX, bY) in loader) {                              // for step, (b_x, b_y) in enumerate(loader)
                for ((k, net) in nets.withIndex()) {
                    val opt = optimizers[k]
                    val output = net(bX)                            // the net's prediction
                    val loss = lossFunc(output, bY)                 // MSE against the batch's targets
                    opt.zeroGrad()                                  // clear the gradients of the last step
                    loss.backward()                                 // backpropagation, compute gradients
                    opt.step()                                      // apply the update
                    lossesHis[k].add(loss.item())                   // loss recorder
                }
            }
        }
        val seconds = (System.nanoTime() - start) / 1e9
        val steps = lossesHis[0].size
        println("${steps} steps per optimizer (${loader.size} batches x $epochs epochs) in ${"%.2f".format(seconds)} s")

        // Summary: the loss of the first step, the mean over the last epoch, and the lowest
        println()
        println("%-9s %10s %16s %10s".format("optimizer", "first", "last-epoch mean", "min"))
        for ((k, label) in labels.withIndex()) {
            val his = lossesHis[k]
            val lastEpoch = his.takeLast(loader.size).average()
            println("%-9s %10.4f %16.4f %10.4f".format(label, his.first(), lastEpoch, his.min()))
        }

        val plot = LinePlot("Optimizers on y = x\u00b2 + noise (lr = $lr, batch $batchSize)", "Steps", "Loss").yRange(0.0, 0.2)
        for ((k, label) in labels.withIndex()) plot.series(label, lossesHis[k])
        val png = plot.save(out.resolve("optimizers.png"))
        println()
        println("loss curves: $png")
    }

    /**
     * A small DataLoader over two tensors of equal length (`Data.DataLoader(Data.TensorDataset(x, y), batch_size, shuffle=True)`):
     * each iteration (one epoch) yields the (x, y) mini-batches in a new random order; the last batch may be smaller.
     */
    class DataLoader(x: Tensor, y: Tensor, private val batchSize: Int, private val shuffle: Generator?) : Iterable<Pair<Tensor, Tensor>> {
        private val xs = x.toDoubleArray()
        private val ys = y.toDoubleArray()
        private val n = x.size(0)
        private val xRow = x.shape().toArray().drop(1).toIntArray()
        private val yRow = y.shape().toArray().drop(1).toIntArray()

        init {
            require(y.size(0) == n) { "x and y differ in length: $n vs ${y.size(0)}" }
        }

        /** Batches per epoch. */
        val size: Int get() = (n + batchSize - 1) / batchSize

        override fun iterator(): Iterator<Pair<Tensor, Tensor>> {
            val order = IntArray(n) { it }
            if (shuffle != null) {
                for (i in n - 1 downTo 1) {                             // Fisher–Yates with the seeded generator
                    val j = shuffle.nextLong(0, (i + 1).toLong()).toInt()
                    val t = order[i]; order[i] = order[j]; order[j] = t
                }
            }
            return (0 until n step batchSize).asSequence().map { from ->
                val rows = order.copyOfRange(from, minOf(from + batchSize, n))
                gather(xs, xRow, rows) to gather(ys, yRow, rows)
            }.iterator()
        }

        /** The given rows of a row-major array as a float32 tensor of shape [rows, *row]. */
        private fun gather(data: DoubleArray, row: IntArray, rows: IntArray): Tensor {
            val width = row.fold(1) { a, b -> a * b }
            val v = DoubleArray(rows.size * width)
            for ((r, src) in rows.withIndex()) System.arraycopy(data, src * width, v, r * width, width)
            return Kiln.tensor(v, intArrayOf(rows.size) + row, DType.F32)
        }
    }
}
