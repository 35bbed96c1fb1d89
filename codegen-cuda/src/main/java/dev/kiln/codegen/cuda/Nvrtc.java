package dev.kiln.codegen.cuda;

import jcuda.nvrtc.JNvrtc;
import jcuda.nvrtc.nvrtcProgram;

import java.nio.charset.StandardCharsets;

/** NVRTC through JCuda, when its native binding loads (it needs the CUDA 12 runtime compiler, libnvrtc.so.12). */
final class Nvrtc {
    private static final boolean AVAILABLE = probe();

    private Nvrtc() {}

    static boolean available() { return AVAILABLE; }

    private static boolean probe() {
        if (Boolean.getBoolean("kiln.cuda.noNvrtc")) return false;
        try {
            JNvrtc.setExceptionsEnabled(true);
            int[] version = new int[2];
            JNvrtc.nvrtcVersion(version, new int[1]);
            return true;
        } catch (Throwable t) {          // UnsatisfiedLinkError (no libnvrtc.so.12) or a JCuda native-loading error
            return false;
        }
    }

    static byte[] compile(String source, String arch) {
        nvrtcProgram program = new nvrtcProgram();
        JNvrtc.nvrtcCreateProgram(program, source, "kernels.cu", 0, null, null);
        try {
            try {
                JNvrtc.nvrtcCompileProgram(program, 2, new String[] {"--gpu-architecture=" + arch.replace("sm_", "compute_"), "--std=c++17"});
            } catch (RuntimeException e) {
                String[] log = new String[1];
                JNvrtc.nvrtcGetProgramLog(program, log);
                throw new IllegalStateException("NVRTC failed to compile the rendered kernels:\n" + log[0], e);
            }
            String[] ptx = new String[1];
            JNvrtc.nvrtcGetPTX(program, ptx);
            return ptx[0].getBytes(StandardCharsets.UTF_8);
        } finally {
            JNvrtc.nvrtcDestroyProgram(program);
        }
    }
}
