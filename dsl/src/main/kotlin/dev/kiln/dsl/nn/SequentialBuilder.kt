@file:JvmName("SequentialBuilders")

package dev.kiln.dsl.nn

/** Marks Kiln's builder scopes so an inner builder can't silently add to an outer one. */
@DslMarker
annotation class KilnDsl

/** Collects the modules of a [sequential] block: `+Linear(4, 8)` appends, `module("fc", Linear(4, 8))` names one. */
@KilnDsl
class SequentialBuilder internal constructor() {
    internal val sequential = Sequential()

    /** Appends a module named after its position. */
    operator fun Module.unaryPlus() {
        sequential.add(this)
    }

    /** Adds a module under a name. */
    fun module(name: String, module: Module) {
        sequential.addModule(name, module)
    }

    /** A nested sequential block, appended as one child. */
    fun sequential(block: SequentialBuilder.() -> Unit): Sequential = SequentialBuilder().apply(block).sequential
}

/** Builds an `nn.Sequential`: `sequential { +Linear(4, 8); +ReLU(); +Linear(8, 1) }`. */
fun sequential(block: SequentialBuilder.() -> Unit): Sequential = SequentialBuilder().apply(block).sequential
