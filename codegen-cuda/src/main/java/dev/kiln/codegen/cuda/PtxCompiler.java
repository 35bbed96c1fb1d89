package dev.kiln.codegen.cuda;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.List;

/**
 * CUDA C → PTX: through NVRTC where JCuda's binding loads (it needs libnvrtc.so.12), else {@code nvcc} on the PATH.
 * Results are cached on disk by a hash of the source, the target architecture and the compiler, under
 * {@code $KILN_CACHE/ptx} (default {@code ~/.cache/kiln/ptx}), so a step compiled once loads instantly after.
 * IEEE float semantics: no fast-math flags.
 */
public final class PtxCompiler {
    /** The H100's architecture, the default target when no GPU says otherwise. */
    public static final String DEFAULT_ARCH = "sm_90";

    private PtxCompiler() {}

    /** The PTX of {@code source} for {@code arch} (e.g. {@code sm_90}). */
    public static byte[] compile(String source, String arch) {
        String compiler = Nvrtc.available() ? "nvrtc" : "nvcc";
        Path cached = cacheDir().resolve(hash(compiler + "\n" + arch + "\n" + source) + ".ptx");
        try {
            if (Files.isRegularFile(cached)) return Files.readAllBytes(cached);
            byte[] ptx = compiler.equals("nvrtc") ? Nvrtc.compile(source, arch) : nvcc(source, arch);
            Files.createDirectories(cached.getParent());
            Path tmp = Files.createTempFile(cached.getParent(), "ptx", ".tmp");
            Files.write(tmp, ptx);
            Files.move(tmp, cached, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
            return ptx;
        } catch (IOException e) {
            throw new UncheckedIOException("caching PTX in " + cached.getParent(), e);
        }
    }

    /** Whether some PTX compiler is there (NVRTC or nvcc). */
    public static boolean available() { return Nvrtc.available() || Tools.onPath("nvcc"); }

    static byte[] nvcc(String source, String arch) {
        if (!Tools.onPath("nvcc")) {
            throw new IllegalStateException("compiling CUDA C to PTX needs NVRTC (libnvrtc.so.12) or nvcc on the PATH; found neither"
                    + " (install the CUDA toolkit, or load a saved artifact, which carries its PTX)");
        }
        try {
            Path dir = Files.createTempDirectory("kiln-nvcc");
            try {
                Path cu = dir.resolve("kernels.cu"), ptx = dir.resolve("kernels.ptx");
                Files.writeString(cu, source);
                Tools.run(dir, List.of("nvcc", "-ptx", "-arch=" + arch, "-std=c++17", "-o", ptx.toString(), cu.toString()), "nvcc");
                return Files.readAllBytes(ptx);
            } finally {
                try (var files = Files.list(dir)) {
                    for (Path p : files.toList()) Files.deleteIfExists(p);
                }
                Files.deleteIfExists(dir);
            }
        } catch (IOException e) {
            throw new UncheckedIOException("running nvcc", e);
        }
    }

    static Path cacheDir() {
        String env = System.getenv("KILN_CACHE");
        Path base = env != null && !env.isEmpty() ? Path.of(env) : Path.of(System.getProperty("user.home"), ".cache", "kiln");
        return base.resolve("ptx");
    }

    /** The SHA-256 of {@code s}'s UTF-8 bytes, in hex. */
    static String hash(String s) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(s.getBytes(StandardCharsets.UTF_8)));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
