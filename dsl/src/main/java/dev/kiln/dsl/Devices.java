package dev.kiln.dsl;

import dev.kiln.ir.backend.Backend;
import dev.kiln.runtime.Executor;

import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * Which devices this machine has, which backend computes for each, and PyTorch's rule for ops over tensors on
 * different devices. CPU tensors run on the selected backend ({@code jvm}, or {@code interpreter} when chosen); CUDA
 * tensors on the backend called {@code cuda}, found on the class path like any other: without the codegen-cuda module
 * CUDA is simply unavailable.
 */
final class Devices {
    /** The backend that computes CUDA tensors. Tests point it at a stand-in to run the CUDA paths without a GPU. */
    static volatile String cudaBackend = "cuda";

    private Devices() {}

    static String backendFor(Device device) { return device.isCuda() ? cudaBackend : Executor.backendName(); }

    /** The GPUs the CUDA backend reports, in order; empty when it is missing or has nothing to run on. */
    static List<Device> cudaDevices() {
        Optional<Backend> backend = Executor.findBackend(cudaBackend);
        List<Device> devices = new ArrayList<>();
        if (backend.isPresent()) {
            for (String name : backend.get().devices()) {
                Device d = Device.of(name);
                if (d.isCuda()) devices.add(d);
            }
        }
        return devices;
    }

    /** Why there is no GPU to use, or null when there is. */
    static String cudaUnavailableReason() {
        Optional<Backend> backend = Executor.findBackend(cudaBackend);
        if (backend.isEmpty()) return "the CUDA backend ('" + cudaBackend + "', module codegen-cuda) is not on the class path";
        if (!cudaDevices().isEmpty()) return null;
        String reason = backend.get().unavailableReason();
        return reason != null ? reason : "the '" + cudaBackend + "' backend reports no devices";
    }

    /** The CPU, then every GPU. */
    static List<Device> available() {
        List<Device> all = new ArrayList<>(List.of(Device.CPU));
        all.addAll(cudaDevices());
        return all;
    }

    /**
     * The device a tensor asked to be on {@code requested} lives on: the CPU, or a GPU this machine has ({@code cuda}
     * alone meaning {@code cuda:0}, the current device). Fails at once, naming the device, why it can't be used and
     * what can, rather than when a value is first read.
     */
    static Device resolve(Device requested) {
        if (requested.isCpu()) return Device.CPU;
        Device d = requested.hasIndex() ? requested : Device.cuda(0);
        List<Device> gpus = cudaDevices();
        if (gpus.contains(d)) return d;
        String why = gpus.isEmpty()
                ? "CUDA is not available: " + cudaUnavailableReason()
                : "CUDA error: invalid device ordinal (this machine has " + gpus.size() + " CUDA device" + (gpus.size() == 1 ? "" : "s") + ")";
        throw new IllegalStateException("cannot use device " + d + ": " + why + "; available devices: " + available());
    }

    /** Fails unless {@code device}'s backend can compute, before a value on it is computed. */
    static void requireUsable(Device device) {
        if (device.isCuda()) resolve(device);
    }

    /**
     * The device an op over {@code tensors} runs on, by PyTorch's rule: all on one device, except that 0-d CPU tensors
     * (numbers, in effect) may join tensors on any device. Fails when the op is built, as PyTorch does, with its message.
     */
    static Device common(Tensor... tensors) {
        Device common = Device.CPU;
        for (Tensor t : tensors) {
            if (!t.device().isCpu()) {
                common = t.device();
                break;
            }
        }
        for (Tensor t : tensors) {
            Device d = t.device();
            if (!d.equals(common) && !(d.isCpu() && t.dim() == 0)) throw mixed(common, d);
        }
        return common;
    }

    static IllegalArgumentException mixed(Device a, Device b) {
        return new IllegalArgumentException("Expected all tensors to be on the same device, but found at least two devices, " + a + " and " + b + "!");
    }
}
