package dev.kiln.codegen.cuda;

import jcuda.driver.CUcontext;
import jcuda.driver.CUdevice;
import jcuda.driver.CUdevice_attribute;
import jcuda.driver.JCudaDriver;

import java.util.ArrayList;
import java.util.List;

/**
 * The CUDA driver, through JCuda (which needs only libcuda.so.1): found once, one primary context on device 0 that
 * every program shares. Where there is no driver or no device, {@link #unavailableReason()} says so and nothing
 * here throws until a program actually runs.
 */
final class CudaDriver {
    private record State(int devices, CUcontext context, String arch, String reason) {}

    private static volatile State state;

    private CudaDriver() {}

    private static State state() {
        State s = state;
        if (s != null) return s;
        synchronized (CudaDriver.class) {
            if (state == null) state = probe();
            return state;
        }
    }

    private static State probe() {
        try {
            JCudaDriver.setExceptionsEnabled(true);
            JCudaDriver.cuInit(0);
            int[] count = new int[1];
            JCudaDriver.cuDeviceGetCount(count);
            if (count[0] == 0) return new State(0, null, null, "the NVIDIA driver is installed but reports no CUDA device");
            CUdevice device = new CUdevice();
            JCudaDriver.cuDeviceGet(device, 0);
            CUcontext context = new CUcontext();
            JCudaDriver.cuDevicePrimaryCtxRetain(context, device);
            int[] major = new int[1], minor = new int[1];
            JCudaDriver.cuDeviceGetAttribute(major, CUdevice_attribute.CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MAJOR, device);
            JCudaDriver.cuDeviceGetAttribute(minor, CUdevice_attribute.CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MINOR, device);
            return new State(count[0], context, "sm_" + major[0] + minor[0], null);
        } catch (UnsatisfiedLinkError | NoClassDefFoundError e) {
            return new State(0, null, null, "no NVIDIA driver: JCuda could not load libcuda.so.1 (" + firstLine(e.getMessage())
                    + "); install the NVIDIA driver on a machine with an NVIDIA GPU");
        } catch (RuntimeException e) {
            return new State(0, null, null, "the CUDA driver failed to start: " + e.getMessage());
        }
    }

    private static String firstLine(String s) { return s == null ? "no details" : s.lines().findFirst().orElse(s).strip(); }

    static List<String> devices() {
        List<String> names = new ArrayList<>();
        for (int i = 0; i < state().devices(); i++) names.add("cuda:" + i);
        return names;
    }

    static String unavailableReason() { return state().reason(); }

    /** The GPU's architecture (e.g. sm_90), or null without one. */
    static String arch() { return state().arch(); }

    /** Makes the shared context current on this thread; fails with the reason when there is no GPU. */
    static void enter() {
        State s = state();
        if (s.context() == null) throw new IllegalStateException("cannot run on CUDA: " + s.reason());
        JCudaDriver.cuCtxSetCurrent(s.context());
    }
}
