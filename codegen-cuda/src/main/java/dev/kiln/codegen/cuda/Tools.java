package dev.kiln.codegen.cuda;

import java.io.File;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/** External tools (nvcc, the C++ compiler): finding them and running them with their output in the error. */
final class Tools {
    private Tools() {}

    static boolean onPath(String tool) {
        String path = System.getenv("PATH");
        if (path == null) return false;
        for (String dir : path.split(File.pathSeparator)) {
            if (!dir.isEmpty() && Files.isExecutable(Path.of(dir, tool))) return true;
        }
        return false;
    }

    /** Runs {@code command} in {@code dir}; a non-zero exit fails naming {@code what} and quoting the tool's output. */
    static void run(Path dir, List<String> command, String what) {
        try {
            Process p = new ProcessBuilder(command).directory(dir.toFile()).redirectErrorStream(true).start();
            String output = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            int rc = p.waitFor();
            if (rc != 0) {
                String tail = output.length() > 8000 ? "...\n" + output.substring(output.length() - 8000) : output;
                throw new IllegalStateException(what + " failed (exit " + rc + "): " + String.join(" ", command) + "\n" + tail);
            }
        } catch (IOException e) {
            throw new UncheckedIOException(what + ": cannot run " + command.get(0), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(what + " was interrupted", e);
        }
    }
}
