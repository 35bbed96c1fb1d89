package dev.kiln.dsl

import dev.kiln.dsl.nn.Linear
import dev.kiln.dsl.nn.ReLU
import dev.kiln.dsl.nn.sequential
import io.kotest.assertions.throwables.shouldThrow
import io.kotest.core.spec.style.FunSpec
import io.kotest.matchers.shouldBe
import io.kotest.matchers.string.shouldStartWith
import io.kotest.matchers.types.shouldBeSameInstanceAs

/** The device API as Kotlin sees it: `t.device` as a property, d2l's `try_gpu()` idiom, a model moved and run. */
class DevicesSpec : FunSpec({

    afterTest { Devices.cudaBackend = "cuda" }

    test("tensors start on the CPU, and t.device reads like PyTorch's") {
        val t = Kiln.tensor(1f, 2f)
        t.device shouldBe Device.CPU
        t.device.toString() shouldBe "cpu"
        t.to("cpu") shouldBeSameInstanceAs t
    }

    test("try_gpu: a GPU when there is one, else the CPU, and the same code runs on either") {
        for (backend in listOf("absent-cuda", StandInCuda.Gpus.NAME)) {
            Devices.cudaBackend = backend
            val device = if (Kiln.cudaIsAvailable()) Device.cuda(0) else Device.CPU
            val net = sequential { +Linear(3, 4); +ReLU(); +Linear(4, 1) }.to(device)
            val x = Kiln.ones(device, 2, 3)
            val y = net(x)
            y.device shouldBe device
            y.shape.toArray().toList() shouldBe listOf(2, 1)
        }
    }

    test("without a GPU, moving to one fails at once") {
        Devices.cudaBackend = "absent-cuda"
        shouldThrow<IllegalStateException> { Kiln.tensor(1f).cuda() }.message shouldStartWith
            "cannot use device cuda:0: CUDA is not available"
    }
})
