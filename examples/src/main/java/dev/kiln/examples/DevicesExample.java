package dev.kiln.examples;

import dev.kiln.dsl.Device;
import dev.kiln.dsl.Kiln;
import dev.kiln.dsl.Tensor;
import dev.kiln.dsl.nn.Linear;
import dev.kiln.dsl.nn.Sequential;

import java.util.ArrayList;
import java.util.List;

/**
 * PyTorch's "GPUs" tutorial (seed 004, section 8): which devices there are, {@code try_gpu()} (a GPU if there is one,
 * else the CPU), tensors created on and moved to a device, a model moved there and run, and the error for mixing
 * devices in one op. On a machine without a GPU everything runs on the CPU, and the last section shows instead the
 * error for moving a tensor to a GPU that isn't there.
 */
public final class DevicesExample implements Example {
    @Override public String name() { return "devices"; }

    @Override public String description() {
        return "seed 004 §8: list devices, use a GPU if there is one (else the CPU), move tensors and models, mixed-device errors";
    }

    /** d2l's {@code try_gpu(i)}: GPU {@code i} if it exists, else the CPU. */
    static Device tryGpu(int i) { return Kiln.cudaDeviceCount() >= i + 1 ? Device.cuda(i) : Device.CPU; }

    /** d2l's {@code try_all_gpus()}: every GPU, or the CPU when there is none. */
    static List<Device> tryAllGpus() {
        List<Device> gpus = new ArrayList<>();
        for (int i = 0; i < Kiln.cudaDeviceCount(); i++) gpus.add(Device.cuda(i));
        return gpus.isEmpty() ? List.of(Device.CPU) : gpus;
    }

    @Override public void run(String[] args) {
        if (args.length > 0) throw new IllegalArgumentException("devices: takes no arguments, got '" + args[0] + "'");
        Kiln.manualSeed(8);

        System.out.println("== Computing devices");
        System.out.println("devices: " + Kiln.devices());
        String why = Kiln.cudaUnavailableReason();
        System.out.println("CUDA available: " + Kiln.cudaIsAvailable() + (why == null ? "" : " (" + why + ")"));
        System.out.println("CUDA device count: " + Kiln.cudaDeviceCount());                // torch.cuda.device_count()
        System.out.println("naming them: " + Device.CPU + ", " + Device.of("cuda") + ", " + Device.of("cuda:1"));
        System.out.println("try_gpu(): " + tryGpu(0) + ", try_gpu(10): " + tryGpu(10) + ", try_all_gpus(): " + tryAllGpus());
        Device device = tryGpu(0);
        System.out.println("using " + device);

        System.out.println();
        System.out.println("== Tensors and devices");
        Tensor x = Kiln.tensor(1L, 2L, 3L);
        System.out.println("x.device: " + x.device());                                    // tensors start on the CPU
        Tensor X = Kiln.ones(device, 2, 3);                                               // torch.ones(2, 3, device=try_gpu())
        System.out.println("X = " + X);
        Tensor Y = Kiln.rand(tryGpu(1), 2, 3);                                            // torch.rand(2, 3, device=try_gpu(1))
        System.out.println("Y = " + Y);
        Tensor Z = X.to(tryGpu(1));                                                       // Z = X.cuda(1): a copy on Y's device
        System.out.println("Z = X.to(" + tryGpu(1) + ") = " + Z);
        System.out.println("Y + Z = " + Y.add(Z));
        System.out.println("Z.to(Z.device) is Z: " + (Z.to(Z.device()) == Z));            // already there: no copy
        Tensor xThere = x.to(device);
        System.out.println("x.to(" + device + ") = " + xThere + ", on " + xThere.device());

        System.out.println();
        System.out.println("== Neural networks and devices");
        Sequential net = new Sequential(new Linear(3, 1));
        net.to(device);                                                                   // parameters move in place
        System.out.println("net[0].weight.device: " + ((Linear) net.get(0)).weight.device());
        Tensor out = net.invoke(X);
        System.out.println("net(X) = " + out);
        System.out.println("net(X).device: " + out.device());

        System.out.println();
        System.out.println("== Mixing devices");
        if (Kiln.cudaIsAvailable()) {
            Tensor onCpu = Kiln.ones(2, 3);
            System.out.println("X (on " + X.device() + ") + a tensor on the CPU:");
            try {
                X.add(onCpu);
            } catch (IllegalArgumentException e) {
                System.out.println("  error: " + e.getMessage());
            }
        } else {
            System.out.println("the mixed-device demonstration needs a GPU, and there is none; moving x to cuda:0 fails at once instead:");
            try {
                x.to("cuda:0");
            } catch (IllegalStateException e) {
                System.out.println("  error: " + e.getMessage());
            }
        }
    }
}
