@file:JvmName("TensorOperators")

package dev.kiln.dsl

/** Kotlin's scalar-on-the-left operators: `2f * a`, `1 - a`, `1 / a`, `0.5 + a`. */
operator fun Number.times(t: Tensor): Tensor = t.mul(this)

operator fun Number.plus(t: Tensor): Tensor = t.add(this)

operator fun Number.minus(t: Tensor): Tensor = t.rsub(this)

operator fun Number.div(t: Tensor): Tensor = t.rdiv(this)

/** Runs [block] without recording gradients (`with torch.no_grad():`) and returns its value. */
inline fun <T> noGrad(block: () -> T): T = Autograd.noGrad().use { block() }
