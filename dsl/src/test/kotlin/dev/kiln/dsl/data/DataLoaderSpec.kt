package dev.kiln.dsl.data

import dev.kiln.dsl.Generator
import dev.kiln.ir.DType
import io.kotest.core.spec.style.FunSpec
import io.kotest.matchers.shouldBe

/** A DataLoader from Kotlin: `for` over batches and destructuring a batch into (inputs, labels). */
class DataLoaderSpec : FunSpec({

    val n = 10
    val ds = TensorDataset.of(FloatArray(n * 2) { (it / 2).toFloat() }, intArrayOf(2), LongArray(n) { it.toLong() })

    test("for ((x, y) in loader) destructures each batch") {
        val loader = DataLoader.builder(ds).batchSize(4).build()
        loader.len() shouldBe 3
        val sizes = mutableListOf<Int>()
        val labels = mutableListOf<Long>()
        for ((x, y) in loader) {
            x.dtype() shouldBe DType.F32
            y.dtype() shouldBe DType.I64
            x.size(0) shouldBe y.size(0)
            x.toFloatArray().toList().chunked(2).map { it[0].toLong() } shouldBe y.toLongArray().toList()
            sizes += y.size(0)
            labels += y.toLongArray().toList()
        }
        sizes shouldBe listOf(4, 4, 2)
        labels shouldBe (0L until n.toLong()).toList()
    }

    test("shuffled epochs are reproducible from the seed and cover every sample") {
        fun epochs(seed: Long): List<List<Long>> {
            val loader = DataLoader.builder(ds).batchSize(3).shuffle(true).generator(Generator(seed)).build()
            return List(2) { loader.flatMap { it.labels().toLongArray().toList() } }
        }
        val a = epochs(5)
        a shouldBe epochs(5)
        (a[0] == a[1]) shouldBe false
        a[0].sorted() shouldBe (0L until n.toLong()).toList()
    }
})
